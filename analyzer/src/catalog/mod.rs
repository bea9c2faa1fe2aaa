//! The reviewable data phiflow reasons with: the PHI vocabulary, the vendor catalog and the rule
//! texts. They live as TOML files in `analyzer/catalog/` so that security and privacy people can
//! review and extend them without reading code; this module loads and indexes them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::text::{identifier_words, words, PhraseSet, Token};

const PHI_TERMS: &str = include_str!("../../catalog/phi_terms.toml");
const VENDORS: &str = include_str!("../../catalog/vendors.toml");
const RULES: &str = include_str!("../../catalog/rules.toml");

/// PHI element types: the 18 Safe Harbor identifiers and the health information they make PHI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhiType {
    Name,
    Geographic,
    Date,
    Phone,
    Fax,
    Email,
    Ssn,
    Mrn,
    HealthPlanId,
    AccountNumber,
    LicenseNumber,
    VehicleId,
    DeviceId,
    Url,
    IpAddress,
    Biometric,
    Photo,
    OtherUniqueId,
    Diagnosis,
    Condition,
    Medication,
    LabResult,
    Procedure,
    ClinicalNote,
    Appointment,
    Claims,
    Genetic,
    MentalHealth,
    SubstanceUse,
    SexualHealth,
    Reproductive,
}

impl PhiType {
    pub fn as_str(self) -> &'static str {
        match self {
            PhiType::Name => "name",
            PhiType::Geographic => "geographic",
            PhiType::Date => "date",
            PhiType::Phone => "phone",
            PhiType::Fax => "fax",
            PhiType::Email => "email",
            PhiType::Ssn => "ssn",
            PhiType::Mrn => "mrn",
            PhiType::HealthPlanId => "health_plan_id",
            PhiType::AccountNumber => "account_number",
            PhiType::LicenseNumber => "license_number",
            PhiType::VehicleId => "vehicle_id",
            PhiType::DeviceId => "device_id",
            PhiType::Url => "url",
            PhiType::IpAddress => "ip_address",
            PhiType::Biometric => "biometric",
            PhiType::Photo => "photo",
            PhiType::OtherUniqueId => "other_unique_id",
            PhiType::Diagnosis => "diagnosis",
            PhiType::Condition => "condition",
            PhiType::Medication => "medication",
            PhiType::LabResult => "lab_result",
            PhiType::Procedure => "procedure",
            PhiType::ClinicalNote => "clinical_note",
            PhiType::Appointment => "appointment",
            PhiType::Claims => "claims",
            PhiType::Genetic => "genetic",
            PhiType::MentalHealth => "mental_health",
            PhiType::SubstanceUse => "substance_use",
            PhiType::SexualHealth => "sexual_health",
            PhiType::Reproductive => "reproductive",
        }
    }

    /// Health information (as opposed to an identifier).
    pub fn is_health(self) -> bool {
        self >= PhiType::Diagnosis
    }

    /// Categories that law protects beyond ordinary PHI.
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            PhiType::Genetic
                | PhiType::MentalHealth
                | PhiType::SubstanceUse
                | PhiType::SexualHealth
                | PhiType::Reproductive
        )
    }
}

/// How a vocabulary term counts toward PHI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TermClass {
    Identifier,
    Strong,
    Health,
}

#[derive(Deserialize)]
struct TermFile {
    context: Vec<String>,
    term: Vec<TermGroup>,
    parties: PartyLists,
}

#[derive(Deserialize)]
struct PartyLists {
    treatment: Vec<String>,
    other: Vec<String>,
}

/// An outside party named in prose, and whether disclosures to it are for treatment.
#[derive(Debug, Clone)]
pub struct PartyHit {
    pub name: String,
    pub treatment: bool,
    pub span: (usize, usize),
}

#[derive(Deserialize)]
struct TermGroup {
    #[serde(rename = "type")]
    kind: PhiType,
    class: TermClass,
    terms: Vec<String>,
}

/// A vendor from the catalog (or declared by the organization's config).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub category: String,
    #[serde(default)]
    pub packages: Vec<String>,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub parent: Option<String>,
    pub baa: String,
    #[serde(default)]
    pub baa_source: String,
}

impl Vendor {
    /// Tools that watch users: analytics, replay, pixels, tag managers.
    pub fn is_tracking(&self) -> bool {
        matches!(
            self.category.as_str(),
            "analytics" | "session_replay" | "advertising" | "tag_manager"
        )
    }

    pub fn is_telemetry(&self) -> bool {
        matches!(self.category.as_str(), "crash_reporting" | "apm" | "logging")
    }

    pub fn is_notification(&self) -> bool {
        matches!(self.category.as_str(), "email" | "sms" | "push")
    }

    pub fn is_cloud(&self) -> bool {
        self.category == "cloud"
    }
}

#[derive(Deserialize)]
struct VendorFile {
    vendor: Vec<Vendor>,
}

/// The text of one rule, as reviewers maintain it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleText {
    pub id: String,
    pub category: String,
    pub title: String,
    pub cfr: Vec<String>,
    pub condition: String,
    pub evidence: String,
    pub remediation: String,
    pub base: u32,
}

#[derive(Deserialize)]
struct RuleFile {
    rule: Vec<RuleText>,
}

/// One PHI term found in text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PhiMention {
    pub kind: PhiType,
    /// The words as found, normalized to lowercase and single spaces.
    pub term: String,
    pub strong: bool,
    /// Byte span in the scanned text.
    pub span: (usize, usize),
}

/// PHI terms found in a piece of text, and whether it speaks about patients.
#[derive(Debug, Clone, Default)]
pub struct PhiScan {
    pub mentions: Vec<PhiMention>,
    pub patient_context: bool,
}

impl PhiScan {
    /// Whether this text, on its own, is about PHI: health information, a strong identifier,
    /// or an identifier in a patient context.
    pub fn is_phi(&self) -> bool {
        self.mentions.iter().any(|m| m.kind.is_health() || m.strong)
            || (self.patient_context && !self.mentions.is_empty())
    }

    pub fn types(&self) -> BTreeSet<PhiType> {
        self.mentions.iter().map(|m| m.kind).collect()
    }
}

/// A vendor named in text.
#[derive(Debug, Clone)]
pub struct VendorHit {
    pub vendor: usize,
    pub span: (usize, usize),
}

/// The loaded, indexed catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub vendors: Vec<Vendor>,
    pub rules: Vec<RuleText>,
    terms: PhraseSet<(PhiType, TermClass)>,
    context: PhraseSet<()>,
    negators: PhraseSet<()>,
    vendor_names: PhraseSet<usize>,
    parties: PhraseSet<bool>,
}

/// Words that, shortly before a PHI term, say it is absent ("no DOB", "without names").
const NEGATORS: &[&str] = &[
    "no",
    "not",
    "never",
    "without",
    "nor",
    "excluding",
    "exclude",
    "excludes",
    "excluded",
    "except",
    "omit",
    "omits",
    "omitted",
    "redact",
    "redacts",
    "redacted",
    "mask",
    "masked",
    "strip",
    "strips",
    "stripped",
    "free of",
    "instead of",
    "none",
    "drop",
    "drops",
];

/// Host names in text (`api.openai.com`, `o1.ingest.sentry.io`).
fn host_pattern() -> &'static regex::Regex {
    static P: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        regex::Regex::new(
            r"(?i)\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|io|net|org|ai|us|eu|co|dev|app)\b",
        )
        .expect("host pattern")
    })
}

/// How many tokens back a negator reaches.
const NEGATION_WINDOW: usize = 6;

impl Catalog {
    /// The catalog shipped with phiflow.
    pub fn builtin() -> Catalog {
        Self::from_sources(PHI_TERMS, VENDORS, RULES).expect("built-in catalog files are valid")
    }

    /// Build a catalog from the three TOML documents.
    pub fn from_sources(terms: &str, vendors: &str, rules: &str) -> Result<Catalog, String> {
        let terms: TermFile = toml::from_str(terms).map_err(|e| format!("phi_terms: {e}"))?;
        let vendors: VendorFile = toml::from_str(vendors).map_err(|e| format!("vendors: {e}"))?;
        let rules: RuleFile = toml::from_str(rules).map_err(|e| format!("rules: {e}"))?;
        let mut catalog = Catalog {
            vendors: Vec::new(),
            rules: rules.rule,
            terms: PhraseSet::default(),
            context: PhraseSet::default(),
            negators: PhraseSet::default(),
            vendor_names: PhraseSet::default(),
            parties: PhraseSet::default(),
        };
        for p in &terms.parties.treatment {
            catalog.parties.insert(p, true);
        }
        for p in &terms.parties.other {
            catalog.parties.insert(p, false);
        }
        for group in &terms.term {
            for t in &group.terms {
                catalog.terms.insert(t, (group.kind, group.class));
            }
        }
        for c in &terms.context {
            catalog.context.insert(c, ());
        }
        for n in NEGATORS {
            catalog.negators.insert(n, ());
        }
        for v in vendors.vendor {
            catalog.add_vendor(v);
        }
        Ok(catalog)
    }

    fn add_vendor(&mut self, vendor: Vendor) {
        let idx = self.vendors.len();
        self.vendor_names.insert(&vendor.name, idx);
        self.vendor_names.insert(&vendor.id, idx);
        for a in &vendor.aliases {
            self.vendor_names.insert(a, idx);
        }
        self.vendors.push(vendor);
    }

    /// Add what the organization's config declares: its own vendors (replacing built-in entries
    /// of the same id), its PHI terms, and the names on its BAA list.
    pub fn apply_config(&mut self, config: &phiflow_pipeline::Config) {
        for v in &config.vendors {
            let vendor = Vendor {
                id: v.id.clone(),
                name: v.name.clone(),
                aliases: v.aliases.clone(),
                category: v.category.clone(),
                packages: v.packages.clone(),
                env: v.env.clone(),
                domains: v.domains.clone(),
                parent: v.parent.clone(),
                baa: "unverified".into(),
                baa_source: "declared in the organization's config".into(),
            };
            match self.vendors.iter().position(|x| x.id == v.id) {
                Some(i) => {
                    self.vendors[i] = vendor;
                    self.reindex_vendors();
                }
                None => self.add_vendor(vendor),
            }
        }
        for (kind, terms) in &config.phi_terms {
            let Ok(kind) = serde_json::from_value::<PhiType>(serde_json::json!(kind)) else {
                continue;
            };
            let class = if kind.is_health() { TermClass::Health } else { TermClass::Identifier };
            for t in terms {
                self.terms.insert(t, (kind, class));
            }
        }
        self.add_declared_vendors(&config.organization.baa_signed);
    }

    fn reindex_vendors(&mut self) {
        let vendors = std::mem::take(&mut self.vendors);
        self.vendor_names = PhraseSet::default();
        for v in vendors {
            self.add_vendor(v);
        }
    }

    /// Make the organization's BAA list recognizable: a name the catalog does not know becomes a
    /// vendor of its own (category "other"), so "Parcelfax" in prose resolves to it.
    pub fn add_declared_vendors(&mut self, names: &[String]) {
        for name in names {
            if self.vendor_by_id(name).is_some() {
                continue;
            }
            self.add_vendor(Vendor {
                id: name.to_lowercase(),
                name: name.clone(),
                aliases: vec![],
                category: "other".into(),
                packages: vec![],
                env: vec![name.to_uppercase()],
                domains: vec![],
                parent: None,
                baa: "offered".into(),
                baa_source: "declared in the organization's baa_signed".into(),
            });
        }
    }

    pub fn vendor_by_id(&self, id: &str) -> Option<&Vendor> {
        let id = id.to_lowercase();
        self.vendors.iter().find(|v| v.id == id)
    }

    /// Whether a signed BAA covers `vendor_id`, directly or through its parent.
    pub fn baa_covers(&self, vendor_id: &str, signed: &[String]) -> bool {
        let signed: Vec<String> = signed.iter().map(|s| s.to_lowercase()).collect();
        let mut current = self.vendor_by_id(vendor_id);
        let mut hops = 0;
        while let Some(v) = current {
            let names_match = signed.iter().any(|s| {
                *s == v.id || *s == v.name.to_lowercase() || v.aliases.iter().any(|a| a == s)
            });
            if names_match {
                return true;
            }
            hops += 1;
            current = v.parent.as_deref().and_then(|p| self.vendor_by_id(p)).filter(|_| hops < 4);
        }
        false
    }

    /// Vendors named in free text, longest name first ("Azure OpenAI" is not "OpenAI"). A host
    /// name is read as a whole: `privatelink.openai.azure.com` is Azure, not OpenAI.
    pub fn find_vendors(&self, text: &str) -> Vec<VendorHit> {
        let mut hits: Vec<VendorHit> = Vec::new();
        let mut hosts: Vec<(usize, usize)> = Vec::new();
        for m in host_pattern().find_iter(text) {
            if let Some(v) = self.vendor_by_host(m.as_str()) {
                hits.push(VendorHit { vendor: v, span: (m.start(), m.end()) });
                hosts.push((m.start(), m.end()));
            }
        }
        let toks = words(text);
        for h in self.vendor_names.find(&toks) {
            let inside = hosts.iter().any(|&(s, e)| h.span.0 >= s && h.span.1 <= e);
            if !inside {
                hits.push(VendorHit { vendor: *h.value, span: h.span });
            }
        }
        hits.sort_by_key(|h| h.span);
        hits
    }

    /// The vendor whose SDK package this is.
    pub fn vendor_by_package(&self, package: &str) -> Option<usize> {
        let p = package.trim().to_lowercase();
        self.vendors.iter().position(|v| v.packages.contains(&p))
    }

    /// The vendor an environment variable name configures (`SENTRY_DSN`, `VITE_FULLSTORY_ORG_ID`).
    pub fn vendor_by_env(&self, var: &str) -> Option<usize> {
        let upper = var.to_uppercase();
        // The match that starts first wins, then the longest: AZURE_OPENAI_API_KEY is Azure
        // OpenAI even though it also contains OPENAI_API_KEY.
        let mut best: Option<(usize, usize, usize)> = None;
        for (i, v) in self.vendors.iter().enumerate() {
            for key in &v.env {
                let at = if key.ends_with('_') {
                    upper.starts_with(key.as_str()).then_some(0)
                } else {
                    upper.find(key.as_str())
                };
                let Some(at) = at else { continue };
                let better = best
                    .is_none_or(|(_, b_at, b_len)| at < b_at || (at == b_at && key.len() > b_len));
                if better {
                    best = Some((i, at, key.len()));
                }
            }
        }
        best.map(|(i, _, _)| i)
    }

    /// The vendor that serves `host` (exact domain or a subdomain of it).
    pub fn vendor_by_host(&self, host: &str) -> Option<usize> {
        let host = host.to_lowercase();
        let mut best: Option<(usize, usize)> = None;
        for (i, v) in self.vendors.iter().enumerate() {
            for d in &v.domains {
                let d = d.split('/').next().unwrap_or(d);
                let hit = host == d || host.ends_with(&format!(".{d}"));
                if hit && best.is_none_or(|(_, len)| d.len() > len) {
                    best = Some((i, d.len()));
                }
            }
        }
        best.map(|(i, _)| i)
    }

    /// PHI terms in prose or identifiers. Terms shortly after a negator ("no DOB") are dropped.
    pub fn scan_phi(&self, text: &str) -> PhiScan {
        let toks = identifier_words(text);
        let negated = self.negated_positions(&toks);
        let mut scan = PhiScan::default();
        for hit in self.terms.find(&toks) {
            if negated.iter().any(|&n| n < hit.tokens.0 && hit.tokens.0 - n <= NEGATION_WINDOW) {
                continue;
            }
            let (kind, class) = *hit.value;
            let term = toks[hit.tokens.0..hit.tokens.1]
                .iter()
                .map(|t| t.word.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            scan.mentions.push(PhiMention {
                kind,
                term,
                strong: class == TermClass::Strong,
                span: hit.span,
            });
        }
        scan.patient_context = !self.context.find(&toks).is_empty();
        scan
    }

    fn negated_positions(&self, toks: &[Token]) -> Vec<usize> {
        self.negators.find(toks).into_iter().map(|h| h.tokens.1 - 1).collect()
    }

    /// Outside parties named in text ("the payer", "specialist office").
    pub fn find_parties(&self, text: &str) -> Vec<PartyHit> {
        let toks = words(text);
        self.parties
            .find(&toks)
            .into_iter()
            .map(|h| {
                let name = toks[h.tokens.0..h.tokens.1]
                    .iter()
                    .map(|t| t.word.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                let name = name.strip_suffix('s').map(str::to_string).unwrap_or(name);
                PartyHit { name, treatment: *h.value, span: h.span }
            })
            .collect()
    }

    pub fn rule(&self, category: &str) -> Option<&RuleText> {
        self.rules.iter().find(|r| r.category == category)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_loads_with_a_rule_for_every_category() {
        let c = Catalog::builtin();
        assert!(c.vendors.len() > 30);
        assert_eq!(c.rules.len(), 20);
    }

    #[test]
    fn field_names_are_typed() {
        let c = Catalog::builtin();
        let types = c.scan_phi("birthDate, nhsNumber, memberId, phq9_score, session_notes").types();
        for t in [
            PhiType::Date,
            PhiType::Mrn,
            PhiType::HealthPlanId,
            PhiType::MentalHealth,
            PhiType::ClinicalNote,
        ] {
            assert!(types.contains(&t), "{t:?} missing from {types:?}");
        }
    }

    #[test]
    fn negated_terms_do_not_count() {
        let c = Catalog::builtin();
        let scan = c.scan_phi("Keep to date/time only: no department, provider or visit reason.");
        assert!(!scan.types().contains(&PhiType::Appointment), "{:?}", scan.mentions);
    }

    #[test]
    fn identifiers_need_patient_context() {
        let c = Catalog::builtin();
        assert!(!c.scan_phi("send the release email to the team").is_phi());
        assert!(c.scan_phi("the patient's email and phone").is_phi());
    }

    #[test]
    fn baa_covers_products_through_the_parent() {
        let c = Catalog::builtin();
        let signed = vec!["microsoft".to_string()];
        assert!(c.baa_covers("azure-openai", &signed));
        assert!(!c.baa_covers("openai", &signed));
    }

    #[test]
    fn vendors_are_found_by_name_package_env_and_host() {
        let c = Catalog::builtin();
        let hits = c.find_vendors("We moved from OpenAI to Azure OpenAI.");
        let ids: Vec<&str> = hits.iter().map(|h| c.vendors[h.vendor].id.as_str()).collect();
        assert_eq!(ids, ["openai", "azure-openai"]);
        let hosts =
            c.find_vendors("private DNS zone privatelink.openai.azure.com and api.openai.com");
        let ids: Vec<&str> = hosts.iter().map(|h| c.vendors[h.vendor].id.as_str()).collect();
        assert_eq!(ids, ["azure-openai", "openai"]);
        assert_eq!(c.vendors[c.vendor_by_package("@fullstory/browser").unwrap()].id, "fullstory");
        assert_eq!(c.vendors[c.vendor_by_env("VITE_FULLSTORY_ORG_ID").unwrap()].id, "fullstory");
        assert_eq!(c.vendors[c.vendor_by_env("AZURE_OPENAI_API_KEY").unwrap()].id, "azure-openai");
        assert_eq!(c.vendors[c.vendor_by_env("OPENAI_API_KEY").unwrap()].id, "openai");
        assert_eq!(c.vendors[c.vendor_by_host("o1.ingest.sentry.io").unwrap()].id, "sentry");
    }
}
