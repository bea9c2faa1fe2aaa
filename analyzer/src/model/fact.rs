//! Facts: what one artifact revision says about entities, flows and their attributes, each with
//! the evidence it came from.

use serde::{Deserialize, Serialize};

use crate::catalog::PhiType;

/// Where a fact came from: the artifact revision, the line, and a masked excerpt.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Evidence {
    pub artifact_id: String,
    pub revision: String,
    /// Path relative to the scanned root (for chat threads: the day file of the message).
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    pub line: Option<u32>,
    /// A short excerpt with concrete identifiers masked.
    pub excerpt: String,
    /// Whether the artifact is code or infrastructure (as opposed to a design document).
    pub implementation: bool,
    /// Whether the PHI this statement concerns was taken from its surroundings (the paragraph,
    /// section or thread) rather than named in the statement itself.
    #[serde(default)]
    pub phi_from_context: bool,
}

/// What kind of thing an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Service,
    Job,
    DataStore,
    Vendor,
    Endpoint,
    Credential,
    Principal,
    Role,
    Frontend,
    Queue,
    ExternalParty,
    Unknown,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Service => "service",
            EntityKind::Job => "job",
            EntityKind::DataStore => "data_store",
            EntityKind::Vendor => "vendor",
            EntityKind::Endpoint => "endpoint",
            EntityKind::Credential => "credential",
            EntityKind::Principal => "principal",
            EntityKind::Role => "role",
            EntityKind::Frontend => "frontend",
            EntityKind::Queue => "queue",
            EntityKind::ExternalParty => "external_party",
            EntityKind::Unknown => "unknown",
        }
    }
}

/// A named entity as an artifact states it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntityRef {
    pub name: String,
    pub kind: EntityKind,
    /// Catalog id, for vendors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
}

impl EntityRef {
    pub fn new(name: impl Into<String>, kind: EntityKind) -> Self {
        EntityRef { name: name.into(), kind, vendor: None }
    }

    pub fn vendor(id: &str, name: &str) -> Self {
        EntityRef { name: name.to_string(), kind: EntityKind::Vendor, vendor: Some(id.to_string()) }
    }
}

/// Who a statement is about. Structured artifacts name entities outright; prose names
/// candidates that are resolved against the names structured artifacts declared.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Target {
    Known(EntityRef),
    /// Resolve to the first candidate the model knows; else to `fallback`, if any.
    Mention {
        candidates: Vec<String>,
        fallback: Option<EntityRef>,
    },
}

impl From<EntityRef> for Target {
    fn from(e: EntityRef) -> Self {
        Target::Known(e)
    }
}

/// One PHI data element as written (`birthDate`, "date of birth").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PhiElement {
    #[serde(rename = "type")]
    pub kind: PhiType,
    pub name: String,
}

/// Attributes of entities and flows that rules look at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "attr", content = "value")]
pub enum Attr {
    /// The entity holds, serves or receives the PHI in the fact's data.
    HoldsPhi,
    /// Readable by anyone on the internet.
    Public,
    UnencryptedAtRest,
    EncryptedAtRest,
    /// Reached over a plaintext protocol (HTTP, SMTP without TLS, FTP).
    Plaintext,
    /// Stated to be reached over TLS (HTTPS, mutual TLS).
    EncryptedInTransit,
    /// Serves requests without authentication.
    Unauthenticated,
    /// Writes PHI to logs.
    LogsPhi,
    /// Nothing records who accessed which records.
    NoAuditTrail,
    /// Authenticates with the named credential.
    UsesCredential(String),
    /// Holds access to a whole schema, database or bucket (the scope).
    BroadAccess(String),
    /// Labelled as holding PHI.
    PhiTagged,
    /// Carries classification labels but none that marks PHI.
    Untagged,
    /// Sends or stores whole records where a subset would do.
    FullRecord,
    /// A development, test or staging copy of production PHI.
    ProdCopyInNonProd,
    /// Marketing use or sale of PHI.
    Marketing,
    /// Described as de-identified or anonymized.
    ClaimedDeidentified,
    /// PHI is redacted, masked or scrubbed before it reaches the entity.
    Redacted,
    /// Access to the entity is audit-logged (who read which records).
    AuditLogged,
    /// Patients consented to or authorized the use.
    Consented,
}

impl Attr {
    /// The attribute as a short tag (`public`, `transport=plaintext`, `credential=x`).
    pub fn tag(&self) -> String {
        match self {
            Attr::HoldsPhi => "phi".into(),
            Attr::Public => "public".into(),
            Attr::UnencryptedAtRest => "encrypted_at_rest=false".into(),
            Attr::EncryptedAtRest => "encrypted_at_rest".into(),
            Attr::Plaintext => "transport=plaintext".into(),
            Attr::EncryptedInTransit => "transport=tls".into(),
            Attr::Unauthenticated => "authenticated=false".into(),
            Attr::LogsPhi => "logs_phi".into(),
            Attr::NoAuditTrail => "audit_trail=false".into(),
            Attr::UsesCredential(c) if c.is_empty() => "shared_identity".into(),
            Attr::UsesCredential(c) => format!("credential={c}"),
            Attr::BroadAccess(s) => format!("broad_access={s}"),
            Attr::PhiTagged => "label=phi".into(),
            Attr::Untagged => "label=none".into(),
            Attr::FullRecord => "full_record".into(),
            Attr::ProdCopyInNonProd => "prod_copy_in_nonprod".into(),
            Attr::Marketing => "marketing_use".into(),
            Attr::ClaimedDeidentified => "claimed_deidentified".into(),
            Attr::Redacted => "redacted".into(),
            Attr::AuditLogged => "audit_logged".into(),
            Attr::Consented => "consented".into(),
        }
    }
}

/// What a fact claims.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Claim {
    /// The entity exists (a compose service, a Deployment, an OpenAPI title, a vendor SDK).
    Entity(EntityRef),
    /// `name` is another name of the entity (a Terraform label and its bucket name).
    Alias { name: String, of: EntityRef },
    /// Data moves from one entity to another.
    Flow { from: Target, to: Target, data: Vec<PhiElement>, full_record: bool },
    /// An attribute of an entity; `data` is the PHI the attribute concerns, if any.
    Attr { subject: Target, attr: Attr, data: Vec<PhiElement> },
}

/// A claim and its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fact {
    pub claim: Claim,
    pub evidence: Evidence,
}
