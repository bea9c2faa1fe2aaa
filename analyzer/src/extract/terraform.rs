//! Terraform (HCL): what a file's resources say about the stores, endpoints and identities they
//! create.
//!
//! - Storage resources (S3, EFS, RDS, DynamoDB, GCS, Azure Storage, …) become data stores named
//!   by their real name (`bucket`, `identifier`, `name`, …) with the resource label as an alias.
//!   Names and tags say whether a store holds PHI (`kp-prod-lab-result-pdfs`, `data_class =
//!   "phi"`); its ACLs, access blocks, bucket policies and IAM bindings whether anyone can read
//!   it; its encryption settings whether it is encrypted at rest. Sub-resources that point at a
//!   bucket (`aws_s3_bucket_acl`, …) attach their facts to that bucket.
//! - Load balancers become endpoints; an HTTP listener that forwards instead of redirecting
//!   makes the balancer plaintext. `http://` URLs in address-like attributes do the same for
//!   the host they name.
//! - IAM policies that allow every action of a data service on every resource give the role or
//!   policy broad access.
//! - Vendor providers, vendor resource types, vendor hosts and vendor environment variables (in
//!   ECS container definitions or Lambda environments) name the vendor.
//!
//! Only what one file states is read: `var.*`, `module.*` and resources of other files are not
//! resolved, and `local.*` only against `locals` blocks of the same file. Modules are not
//! expanded; their inputs are read for URLs only.

use std::collections::{HashMap, HashSet};

use hcl::expr::{Expression, ObjectKey, TemplateExpr, TraversalOperator};
use hcl::{Block, Body};
use serde_json::Value;

use super::yaml::{
    file_phi, is_url_key, parse_url, plaintext_url, prose_facts, scan_elements, vendor_entity,
    vendor_named, Facts, Note,
};
use super::{Ctx, ExtractError, Format};
use crate::model::{Attr, Claim, EntityKind, EntityRef, Evidence, Fact, PhiElement, Target};

/// Deepest bracket nesting accepted; the HCL parser recurses, so deeper input is refused.
const MAX_NESTING: usize = 200;

/// Deepest expression nesting followed when looking for URLs and policies.
const MAX_EXPR_DEPTH: usize = 32;

/// Read one Terraform file.
pub fn extract(ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    if nesting(ctx.text) > MAX_NESTING {
        let message = format!("brackets nest deeper than {MAX_NESTING} levels");
        return Err(ExtractError::malformed(Format::Terraform, message));
    }
    let body = hcl::parse(ctx.text).map_err(|e| ExtractError::malformed(Format::Terraform, e))?;
    let mut file = TfFile::read(ctx, &body);
    let mut out = Facts::default();
    file.declare(&mut out);
    for r in &file.resources {
        file.check(r, &mut out);
    }
    file.vendors(&body, &mut out);
    file.urls(&body, &mut out);

    let mut notes = hcl_comments(ctx.text);
    notes.extend(file.descriptions(&body));
    notes.sort_by_key(|n| n.line);
    out.extend(prose_facts(ctx, &notes));
    Ok(out.finish())
}

/// One `resource` or `data` block.
struct Resource<'a> {
    rtype: &'a str,
    label: &'a str,
    body: &'a Body,
    line: Option<u32>,
}

impl Resource<'_> {
    fn attr(&self, key: &str) -> Option<&Expression> {
        attr(self.body, key)
    }

    fn name(&self) -> String {
        format!("{}.{}", self.rtype, self.label)
    }
}

/// A store declared in this file (or named literally by a sub-resource).
#[derive(Clone)]
struct Store {
    entity: EntityRef,
    /// PHI its names say it holds.
    phi: Vec<PhiElement>,
    /// Whether a classification tag marks it as PHI.
    tagged: bool,
}

impl Store {
    fn holds_phi(&self) -> bool {
        self.tagged || !self.phi.is_empty()
    }
}

/// A Terraform file, indexed.
struct TfFile<'a, 'c> {
    ctx: &'a Ctx<'c>,
    lines: Vec<&'a str>,
    resources: Vec<Resource<'a>>,
    data: Vec<Resource<'a>>,
    locals: HashMap<&'a str, &'a Expression>,
    /// (type, label) → store.
    stores: HashMap<(&'a str, &'a str), Store>,
    /// Load balancer label → (endpoint, internal).
    balancers: HashMap<&'a str, (EntityRef, bool)>,
    /// IAM role, user and group label → principal.
    principals: HashMap<(&'a str, &'a str), EntityRef>,
    /// Labels used by more than one declared resource; they are no alias of either.
    shared_labels: HashSet<&'a str>,
    /// Block header (keyword and labels) → its first line.
    headers: HashMap<Vec<&'a str>, u32>,
}

impl<'a, 'c> TfFile<'a, 'c> {
    fn read(ctx: &'a Ctx<'c>, body: &'a Body) -> Self {
        let mut file = TfFile {
            ctx,
            lines: ctx.text.lines().collect(),
            resources: Vec::new(),
            data: Vec::new(),
            locals: HashMap::new(),
            stores: HashMap::new(),
            balancers: HashMap::new(),
            principals: HashMap::new(),
            shared_labels: HashSet::new(),
            headers: block_headers(ctx.text),
        };
        for block in body.blocks() {
            match (block.identifier.as_str(), block.labels.as_slice()) {
                ("resource", [t, l]) | ("data", [t, l]) => {
                    let kw = block.identifier.as_str();
                    let line = file.block_line(kw, &[t.as_str(), l.as_str()]);
                    let r =
                        Resource { rtype: t.as_str(), label: l.as_str(), body: &block.body, line };
                    if kw == "resource" {
                        file.resources.push(r);
                    } else {
                        file.data.push(r);
                    }
                }
                ("locals", []) => {
                    for a in block.body.attributes() {
                        file.locals.insert(a.key.as_str(), &a.expr);
                    }
                }
                _ => {}
            }
        }
        let mut seen = HashSet::new();
        for r in file.resources.iter().filter(|r| declares(r.rtype)) {
            if !seen.insert(r.label) {
                file.shared_labels.insert(r.label);
            }
        }
        file
    }

    // -- lines -----------------------------------------------------------------------------

    /// The line of the block header `kw "label" "label"`.
    fn block_line(&self, kw: &str, labels: &[&str]) -> Option<u32> {
        let mut key = vec![kw];
        key.extend_from_slice(labels);
        self.headers.get(&key).copied()
    }

    /// The line of attribute `key` within the block that starts on `from`.
    fn attr_line(&self, from: Option<u32>, key: &str) -> Option<u32> {
        let from = from?;
        self.within(from)
            .find(|(_, l)| hcl_key_rest(l, key).is_some())
            .map(|(i, _)| i)
            .or(Some(from))
    }

    /// The first line of the block starting on `from` containing `needle`.
    fn line_with(&self, from: Option<u32>, needle: &str) -> Option<u32> {
        let from = from?;
        self.within(from).find(|(_, l)| l.contains(needle)).map(|(i, _)| i).or(Some(from))
    }

    /// Lines from `from` up to the next top-level block.
    fn within(&self, from: u32) -> impl Iterator<Item = (u32, &'a str)> + '_ {
        let start = from.saturating_sub(1) as usize;
        self.lines
            .iter()
            .enumerate()
            .skip(start)
            .take_while(move |(i, l)| *i == start || !starts_top_level_block(l))
            .map(|(i, l)| (i as u32 + 1, *l))
    }

    /// The text of a 1-based line, trimmed.
    fn line_text(&self, line: u32) -> &'a str {
        self.lines.get(line.saturating_sub(1) as usize).map_or("", |l| l.trim())
    }

    /// Evidence at `line` of resource `r`, quoting the line.
    fn cite(&self, r: &Resource, line: Option<u32>) -> Evidence {
        let text = line.map(|l| self.line_text(l)).unwrap_or("");
        self.ctx.evidence(line, &format!("{}: {text}", r.name()))
    }

    // -- declarations -----------------------------------------------------------------------

    /// Stores, load balancers and IAM principals of the file, with what their names and tags
    /// say about PHI.
    fn declare(&mut self, out: &mut Facts) {
        for i in 0..self.resources.len() {
            let r = &self.resources[i];
            let (rtype, label) = (r.rtype, r.label);
            if let Some(kind) = store_kind(rtype) {
                let store = self.store(&self.resources[i], kind, out);
                self.stores.insert((rtype, label), store);
            } else if matches!(rtype, "aws_lb" | "aws_alb" | "aws_elb") {
                let r = &self.resources[i];
                let entity = self.named_entity(r, EntityKind::Endpoint, out);
                let internal = r.attr("internal").and_then(bool_of).unwrap_or(false);
                self.balancers.insert(label, (entity, internal));
            } else if matches!(rtype, "aws_iam_role" | "aws_iam_user" | "aws_iam_group") {
                let entity = self.named_entity(&self.resources[i], EntityKind::Principal, out);
                self.principals.insert((rtype, label), entity);
            }
        }
    }

    /// Declare an entity named by the resource's `name` (else its label), aliased by the label.
    fn named_entity(&self, r: &Resource, kind: EntityKind, out: &mut Facts) -> EntityRef {
        let name = r.attr("name").and_then(lit).unwrap_or(r.label);
        let entity = EntityRef::new(name, kind);
        let ev = self.cite(r, r.line);
        out.push(Claim::Entity(entity.clone()), ev.clone());
        if name != r.label && !self.shared_labels.contains(r.label) {
            out.push(Claim::Alias { name: r.label.to_string(), of: entity.clone() }, ev);
        }
        entity
    }

    fn store(&self, r: &Resource, kind: EntityKind, out: &mut Facts) -> Store {
        let tags = r.attr("tags").or_else(|| r.attr("labels"));
        let (entries, complete) = tags.map_or((Vec::new(), false), |t| self.object_entries(t, 0));
        let tag = |k: &str| entries.iter().find(|(key, _)| key == k).and_then(|(_, v)| lit(v));
        let name_attr = NAME_ATTRS.iter().find_map(|k| r.attr(k).and_then(lit).map(|v| (*k, v)));
        let name = name_attr.map(|(_, v)| v).or_else(|| tag("Name")).unwrap_or(r.label);
        let entity = EntityRef::new(name, kind);

        let header = self.cite(r, r.line);
        out.push(Claim::Entity(entity.clone()), header.clone());
        if name != r.label && !self.shared_labels.contains(r.label) {
            out.push(Claim::Alias { name: r.label.to_string(), of: entity.clone() }, header);
        }

        // Names and tag values (other than the classification itself) can name PHI.
        let mut words = vec![name.to_string(), r.label.to_string()];
        let mut classified = false;
        let mut tagged_line = None;
        for (key, value) in &entries {
            let norm = key.to_lowercase().replace('-', "_");
            if CLASS_KEYS.contains(&norm.as_str()) {
                classified = true;
                if class_marks_phi(&norm, value) {
                    tagged_line = Some(self.line_with(r.line, key));
                }
            } else if let Some(v) = lit(value) {
                words.push(v.to_string());
            }
        }
        let phi = scan_elements(&self.ctx.catalog.scan_phi(&words.join(" ; ")));
        let store = Store { entity, phi, tagged: tagged_line.is_some() };

        if !store.phi.is_empty() {
            let line = name_attr.map_or(r.line, |(k, _)| self.attr_line(r.line, k));
            let ev = self.cite(r, line);
            out.attr(&store.entity, Attr::HoldsPhi, store.phi.clone(), ev);
        }
        if let Some(line) = tagged_line {
            out.attr(&store.entity, Attr::PhiTagged, Vec::new(), self.cite(r, line));
        } else if tags.is_some() && complete && !classified {
            let line =
                self.attr_line(r.line, if r.attr("tags").is_some() { "tags" } else { "labels" });
            out.attr(&store.entity, Attr::Untagged, store.phi.clone(), self.cite(r, line));
        }
        store
    }

    /// The entries of an object expression, through `merge(...)` and same-file `local.*`;
    /// `complete` is false when part of it cannot be read here (`var.tags`, another file's
    /// locals).
    fn object_entries(
        &self,
        expr: &'a Expression,
        depth: usize,
    ) -> (Vec<(String, &'a Expression)>, bool) {
        if depth > 8 {
            return (Vec::new(), false);
        }
        match expr {
            Expression::Object(map) => {
                let entries = map.iter().map(|(k, v)| (object_key(k), v)).collect();
                (entries, true)
            }
            Expression::FuncCall(call) if call.name.name.as_str() == "merge" => {
                let mut all = Vec::new();
                let mut complete = true;
                for arg in &call.args {
                    let (entries, c) = self.object_entries(arg, depth + 1);
                    all.extend(entries);
                    complete &= c;
                }
                (all, complete)
            }
            Expression::Parenthesis(inner) => self.object_entries(inner, depth + 1),
            Expression::Traversal(_) => match reference(expr) {
                Some((root, path)) if root == "local" && path.len() == 1 => {
                    match self.locals.get(path[0].as_str()) {
                        Some(local) => self.object_entries(local, depth + 1),
                        None => (Vec::new(), false),
                    }
                }
                _ => (Vec::new(), false),
            },
            _ => (Vec::new(), false),
        }
    }

    /// The store an attribute points at: `aws_s3_bucket.x.id` is the bucket of resource `x`;
    /// a literal name is that store.
    fn store_ref(&self, expr: Option<&Expression>) -> Option<Store> {
        let expr = expr?;
        if let Some(name) = lit(expr) {
            let known = self.stores.values().find(|s| s.entity.name == name);
            return Some(known.cloned().unwrap_or_else(|| Store {
                entity: EntityRef::new(name, EntityKind::DataStore),
                phi: scan_elements(&self.ctx.catalog.scan_phi(name)),
                tagged: false,
            }));
        }
        let (root, path) = reference(expr)?;
        let label = path.first()?;
        self.stores.get(&(root.as_str(), label.as_str())).cloned()
    }

    // -- checks -----------------------------------------------------------------------------

    fn check(&self, r: &Resource, out: &mut Facts) {
        let own = self.stores.get(&(r.rtype, r.label)).cloned();
        match r.rtype {
            "aws_s3_bucket" => {
                if let Some(store) = &own {
                    self.acl(r, store, out);
                    self.policy_public(r, store, out);
                }
            }
            "aws_s3_bucket_acl" | "aws_s3_object" | "aws_s3_bucket_object" => {
                if let Some(store) = self.store_ref(r.attr("bucket")) {
                    self.acl(r, &store, out);
                }
            }
            "aws_s3_bucket_public_access_block" => self.access_block(r, out),
            "aws_s3_bucket_policy" => {
                if let Some(store) = self.store_ref(r.attr("bucket")) {
                    self.policy_public(r, &store, out);
                }
            }
            "aws_s3_bucket_server_side_encryption_configuration" => {
                if let Some(store) = self.store_ref(r.attr("bucket")) {
                    let ev = self.cite(r, r.line);
                    out.attr(&store.entity, Attr::EncryptedAtRest, store.phi.clone(), ev);
                }
            }
            "aws_rds_cluster_instance" => {
                if let Some(store) = self.store_ref(r.attr("cluster_identifier")) {
                    self.publicly_accessible(r, &store, out);
                }
            }
            "azurerm_storage_container" => {
                if let Some(store) = &own {
                    self.azure_container(r, store, out);
                }
            }
            "aws_lb_listener" | "aws_alb_listener" => self.listener(r, out),
            "aws_elb" => self.classic_listeners(r, out),
            t if t.starts_with("google_storage_bucket_iam")
                || t.starts_with("google_storage_bucket_access_control")
                || t == "google_storage_bucket_acl" =>
            {
                self.gcs_public(r, out)
            }
            t if t.starts_with("aws_iam_") => self.iam(r, out),
            _ => {}
        }
        if let Some(store) = &own {
            self.publicly_accessible(r, store, out);
            self.encryption(r, store, out);
        }
    }

    fn acl(&self, r: &Resource, store: &Store, out: &mut Facts) {
        let canned = r.attr("acl").and_then(lit);
        let public_canned = canned.is_some_and(|a| {
            matches!(a, "public-read" | "public-read-write" | "authenticated-read")
        });
        let public_grant = r.body.blocks().any(|b| {
            body_mentions(&b.body, &["/global/AllUsers", "/global/AuthenticatedUsers"], 0)
        });
        let line = if public_canned {
            self.attr_line(r.line, "acl")
        } else if public_grant {
            self.line_with(r.line, "/global/A")
        } else {
            return;
        };
        out.attr(&store.entity, Attr::Public, store.phi.clone(), self.cite(r, line));
    }

    /// A public access block that lets public ACLs through: `block_public_acls` and
    /// `ignore_public_acls` both off (the provider's defaults when unset).
    fn access_block(&self, r: &Resource, out: &mut Facts) {
        let Some(store) = self.store_ref(r.attr("bucket")) else { return };
        let setting = |k: &str| r.attr(k).and_then(bool_of).unwrap_or(false);
        if setting("block_public_acls") || setting("ignore_public_acls") {
            return;
        }
        let line = self.attr_line(r.line, "block_public_acls");
        let excerpt = format!(
            "{}: block_public_acls = false, ignore_public_acls = false{}",
            r.name(),
            if setting("block_public_policy") || setting("restrict_public_buckets") {
                ""
            } else {
                ", block_public_policy = false, restrict_public_buckets = false"
            }
        );
        let ev = self.ctx.evidence(line, &excerpt);
        out.attr(&store.entity, Attr::Public, store.phi.clone(), ev);
    }

    /// A bucket policy that lets anyone (`Principal: "*"`) read objects, with no condition.
    fn policy_public(&self, r: &Resource, store: &Store, out: &mut Facts) {
        let Some(policy) = r.attr("policy") else { return };
        let statements = self.statements(policy);
        let public = statements.iter().any(|s| {
            s.allow
                && s.anyone
                && !s.conditional
                && s.actions.iter().any(|a| {
                    let a = a.to_lowercase();
                    matches!(
                        a.as_str(),
                        "*" | "s3:*" | "s3:getobject" | "s3:get*" | "s3:listbucket"
                    )
                })
        });
        if public {
            let line = self.line_with(r.line, "Principal").filter(|l| Some(*l) != r.line);
            let line = line.or_else(|| self.attr_line(r.line, "policy"));
            out.attr(&store.entity, Attr::Public, store.phi.clone(), self.cite(r, line));
        }
    }

    fn publicly_accessible(&self, r: &Resource, store: &Store, out: &mut Facts) {
        if r.attr("publicly_accessible").and_then(bool_of) == Some(true) {
            let line = self.attr_line(r.line, "publicly_accessible");
            out.attr(&store.entity, Attr::Public, store.phi.clone(), self.cite(r, line));
        }
    }

    fn gcs_public(&self, r: &Resource, out: &mut Facts) {
        let Some(store) = self.store_ref(r.attr("bucket")) else { return };
        if !body_mentions(r.body, &["allUsers", "allAuthenticatedUsers"], 0) {
            return;
        }
        let line = self.line_with(r.line, "allUsers");
        let line =
            if line == r.line { self.line_with(r.line, "allAuthenticatedUsers") } else { line };
        out.attr(&store.entity, Attr::Public, store.phi.clone(), self.cite(r, line));
    }

    /// A container with anonymous blob or container access, unless its account (in this file)
    /// forbids nested public items.
    fn azure_container(&self, r: &Resource, store: &Store, out: &mut Facts) {
        let access = r.attr("container_access_type").and_then(lit);
        if !matches!(access, Some("blob" | "container")) {
            return;
        }
        let account_expr = r.attr("storage_account_id").or_else(|| r.attr("storage_account_name"));
        let account = account_expr.and_then(reference).and_then(|(root, path)| {
            self.resources
                .iter()
                .find(|a| a.rtype == root && path.first().is_some_and(|l| l == a.label))
        });
        if let Some(a) = account {
            let nested = a.attr("allow_nested_items_to_be_public").and_then(bool_of);
            if nested == Some(false) {
                return;
            }
            if let (Some(true), Some(account_store)) =
                (nested, self.stores.get(&(a.rtype, a.label)))
            {
                let line = self.attr_line(a.line, "allow_nested_items_to_be_public");
                let ev = self.cite(a, line);
                out.attr(&account_store.entity, Attr::Public, account_store.phi.clone(), ev);
            }
        }
        let line = self.attr_line(r.line, "container_access_type");
        out.attr(&store.entity, Attr::Public, store.phi.clone(), self.cite(r, line));
    }

    /// An HTTP listener that forwards (rather than redirecting to HTTPS) on an internet-facing
    /// load balancer. Target groups speaking HTTP are the internal hop and are not read.
    fn listener(&self, r: &Resource, out: &mut Facts) {
        let http = r.attr("protocol").and_then(lit).is_some_and(|p| p.eq_ignore_ascii_case("http"));
        let redirects =
            r.body.blocks().filter(|b| b.identifier.as_str() == "default_action").any(|b| {
                attr(&b.body, "type")
                    .and_then(lit)
                    .is_some_and(|t| matches!(t, "redirect" | "fixed-response"))
            });
        if !http || redirects {
            return;
        }
        let balancer = r.attr("load_balancer_arn").and_then(reference).and_then(|(root, path)| {
            let label = path.first()?;
            matches!(root.as_str(), "aws_lb" | "aws_alb")
                .then(|| self.balancers.get(label.as_str()))?
        });
        let (endpoint, internal) = match balancer {
            Some((e, internal)) => (e.clone(), *internal),
            None => (EntityRef::new(r.label, EntityKind::Endpoint), false),
        };
        if internal {
            return;
        }
        let line = self.attr_line(r.line, "protocol");
        let port = r.attr("port").map(|p| format!(", port = {p}")).unwrap_or_default();
        let excerpt = format!(
            "{}: protocol = \"HTTP\"{port}, forwards without redirecting to HTTPS",
            r.name()
        );
        let ev = self.ctx.evidence(line, &excerpt);
        out.attr(&endpoint, Attr::Plaintext, file_phi(self.ctx), ev);
    }

    fn classic_listeners(&self, r: &Resource, out: &mut Facts) {
        let Some((endpoint, internal)) = self.balancers.get(r.label) else { return };
        if *internal {
            return;
        }
        let http = r.body.blocks().filter(|b| b.identifier.as_str() == "listener").any(|b| {
            attr(&b.body, "lb_protocol")
                .and_then(lit)
                .is_some_and(|p| p.eq_ignore_ascii_case("http"))
        });
        if http {
            let line = self.attr_line(r.line, "lb_protocol");
            out.attr(endpoint, Attr::Plaintext, file_phi(self.ctx), self.cite(r, line));
        }
    }

    /// Encryption at rest: explicit settings, and the provider defaults of EFS and RDS (off)
    /// for stores that hold PHI. S3 (SSE-S3 since 2023) and DynamoDB (an AWS-owned key when
    /// `server_side_encryption` is off) are always encrypted, so their absence says nothing.
    fn encryption(&self, r: &Resource, store: &Store, out: &mut Facts) {
        let mut stated = false;
        for key in ["encrypted", "storage_encrypted", "at_rest_encryption_enabled"] {
            let Some(on) = r.attr(key).and_then(bool_of) else { continue };
            stated = true;
            let attr = if on { Attr::EncryptedAtRest } else { Attr::UnencryptedAtRest };
            let line = self.attr_line(r.line, key);
            out.attr(&store.entity, attr, store.phi.clone(), self.cite(r, line));
        }
        for key in ["kms_key_id", "kms_key_arn", "kms_master_key_id", "customer_managed_key_id"] {
            if r.attr(key).is_some_and(is_set) {
                stated = true;
                let line = self.attr_line(r.line, key);
                out.attr(
                    &store.entity,
                    Attr::EncryptedAtRest,
                    store.phi.clone(),
                    self.cite(r, line),
                );
            }
        }
        for block in r.body.blocks() {
            let enabled = attr(&block.body, "enabled").and_then(bool_of);
            let (attr, key) = match (block.identifier.as_str(), enabled) {
                ("server_side_encryption_configuration", _) => {
                    (Attr::EncryptedAtRest, "server_side_encryption_configuration")
                }
                ("server_side_encryption", Some(true)) => {
                    (Attr::EncryptedAtRest, "server_side_encryption")
                }
                ("encrypt_at_rest", Some(on)) => (
                    if on { Attr::EncryptedAtRest } else { Attr::UnencryptedAtRest },
                    "encrypt_at_rest",
                ),
                _ => continue,
            };
            stated = true;
            let line = self.line_with(r.line, key);
            out.attr(&store.entity, attr, store.phi.clone(), self.cite(r, line));
        }
        if r.rtype == "aws_sqs_queue"
            && r.attr("sqs_managed_sse_enabled").and_then(bool_of) == Some(false)
            && !stated
        {
            let line = self.attr_line(r.line, "sqs_managed_sse_enabled");
            out.attr(&store.entity, Attr::UnencryptedAtRest, store.phi.clone(), self.cite(r, line));
            return;
        }
        let default_off = match r.rtype {
            "aws_efs_file_system" => Some("encrypted"),
            "aws_db_instance" => Some("storage_encrypted"),
            "aws_rds_cluster" if r.attr("engine_mode").and_then(lit) != Some("serverless") => {
                Some("storage_encrypted")
            }
            _ => None,
        };
        if let (Some(key), false, true) = (default_off, stated, store.holds_phi()) {
            let excerpt =
                format!("{}: `{key}` is not set (the provider default is false)", r.name());
            let ev = self.ctx.evidence(r.line, &excerpt);
            out.attr(&store.entity, Attr::UnencryptedAtRest, store.phi.clone(), ev);
        }
    }

    // -- IAM --------------------------------------------------------------------------------

    /// Policies that allow every action of a data service (or everything) on every resource.
    fn iam(&self, r: &Resource, out: &mut Facts) {
        let subject = match r.rtype {
            "aws_iam_policy" => {
                let name = r.attr("name").and_then(lit).unwrap_or(r.label);
                Some(EntityRef::new(name, EntityKind::Principal))
            }
            "aws_iam_role_policy" => self.principal_ref(r.attr("role"), "aws_iam_role"),
            "aws_iam_user_policy" => self.principal_ref(r.attr("user"), "aws_iam_user"),
            "aws_iam_group_policy" => self.principal_ref(r.attr("group"), "aws_iam_group"),
            "aws_iam_role" => self.principals.get(&(r.rtype, r.label)).cloned(),
            "aws_iam_role_policy_attachment" => self.principal_ref(r.attr("role"), "aws_iam_role"),
            "aws_iam_user_policy_attachment" => self.principal_ref(r.attr("user"), "aws_iam_user"),
            "aws_iam_group_policy_attachment" => {
                self.principal_ref(r.attr("group"), "aws_iam_group")
            }
            _ => None,
        };
        let Some(subject) = subject else { return };
        let (scope, line) = if r.rtype.ends_with("_attachment") {
            let Some(scope) = r.attr("policy_arn").and_then(|p| self.attached_scope(p)) else {
                return;
            };
            (scope, self.attr_line(r.line, "policy_arn"))
        } else {
            let policies: Vec<&Expression> = match r.rtype {
                "aws_iam_role" => r
                    .body
                    .blocks()
                    .filter(|b| b.identifier.as_str() == "inline_policy")
                    .filter_map(|b| attr(&b.body, "policy"))
                    .collect(),
                _ => r.attr("policy").into_iter().collect(),
            };
            let Some(scope) = policies.iter().find_map(|p| broad_scope(&self.statements(p))) else {
                return;
            };
            let action = scope.split(' ').next().unwrap_or("*").to_string();
            (scope, self.line_with(r.line, &format!("\"{action}\"")))
        };
        if subject.name != r.label && r.rtype == "aws_iam_policy" {
            let alias = Claim::Alias { name: r.label.to_string(), of: subject.clone() };
            out.push(alias, self.cite(r, r.line));
        }
        out.attr(&subject, Attr::BroadAccess(scope), Vec::new(), self.cite(r, line));
    }

    fn principal_ref(&self, expr: Option<&Expression>, rtype: &str) -> Option<EntityRef> {
        let expr = expr?;
        if let Some(name) = lit(expr) {
            return Some(EntityRef::new(name, EntityKind::Principal));
        }
        let (root, path) = reference(expr)?;
        let label = path.first()?;
        (root == rtype).then(|| self.principals.get(&(rtype, label.as_str())).cloned())?
    }

    /// The scope of an attached policy: a broad policy of this file, or an AWS managed policy
    /// that grants everything or a whole data service.
    fn attached_scope(&self, arn: &Expression) -> Option<String> {
        if let Some(arn) = lit(arn) {
            let name = arn.rsplit('/').next()?;
            return MANAGED_BROAD
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, scope)| scope.to_string());
        }
        let (root, path) = reference(arn)?;
        let label = path.first()?;
        let policy =
            self.resources.iter().find(|p| p.rtype == root && p.label == label.as_str())?;
        broad_scope(&self.statements(policy.attr("policy")?))
    }

    /// The statements of a policy: `jsonencode({...})`, a JSON string or heredoc, or a
    /// `data.aws_iam_policy_document` of this file.
    fn statements(&self, policy: &Expression) -> Vec<Statement> {
        match policy {
            Expression::FuncCall(call) if call.name.name.as_str() == "jsonencode" => {
                call.args.first().map(|a| statements_json(&to_json(a, 0))).unwrap_or_default()
            }
            Expression::Traversal(_) => {
                let Some((root, path)) = reference(policy) else { return Vec::new() };
                if root != "data" || path.len() < 2 || path[0] != "aws_iam_policy_document" {
                    return Vec::new();
                }
                self.data
                    .iter()
                    .find(|d| d.rtype == path[0] && d.label == path[1])
                    .map(|d| statements_document(d.body))
                    .unwrap_or_default()
            }
            _ => raw_text(policy)
                .and_then(|t| serde_json::from_str::<Value>(t).ok())
                .map(|v| statements_json(&v))
                .unwrap_or_default(),
        }
    }

    // -- vendors and URLs -------------------------------------------------------------------

    /// Vendor providers and vendor resource types (`datadog_monitor`, `sentry_project`).
    fn vendors(&self, body: &Body, out: &mut Facts) {
        let mut names: Vec<(String, Option<u32>)> = Vec::new();
        for block in body.blocks() {
            match (block.identifier.as_str(), block.labels.first()) {
                ("provider", Some(p)) => {
                    names.push((p.as_str().to_string(), self.block_line("provider", &[p.as_str()])))
                }
                ("terraform", _) => {
                    for req in block
                        .body
                        .blocks()
                        .filter(|b| b.identifier.as_str() == "required_providers")
                    {
                        for a in req.body.attributes() {
                            let line = self
                                .lines
                                .iter()
                                .position(|l| hcl_key_rest(l, a.key.as_str()).is_some());
                            names.push((a.key.to_string(), line.map(|i| i as u32 + 1)));
                        }
                    }
                }
                _ => {}
            }
        }
        let mut prefixes = HashSet::new();
        for r in self.resources.iter().chain(&self.data) {
            let prefix = r.rtype.split('_').next().unwrap_or(r.rtype);
            if prefixes.insert(prefix) {
                names.push((prefix.to_string(), r.line));
            }
        }
        for (name, line) in names {
            let Some(v) = vendor_named(self.ctx, &name) else { continue };
            if self.ctx.catalog.vendors[v].is_cloud() {
                continue;
            }
            let excerpt = line.map(|l| self.line_text(l).to_string()).unwrap_or(name);
            out.push(Claim::Entity(vendor_entity(self.ctx, v)), self.ctx.evidence(line, &excerpt));
        }
    }

    /// URLs and environment variable names anywhere in the file's values: vendor hosts and
    /// vendor settings name the vendor; `http://` addresses to outside hosts are plaintext.
    fn urls(&self, body: &Body, out: &mut Facts) {
        for a in body.attributes() {
            let line = self.lines.iter().position(|l| hcl_key_rest(l, a.key.as_str()).is_some());
            self.walk_expr(&a.expr, a.key.as_str(), line.map(|i| i as u32 + 1), out, 0);
        }
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
            let line = self.block_line(block.identifier.as_str(), &labels);
            match block.identifier.as_str() {
                "variable" => {
                    if let Some(default) = attr(&block.body, "default") {
                        let key = labels.first().copied().unwrap_or("default");
                        self.walk_expr(default, key, line, out, 0);
                    }
                }
                "resource" | "data" | "module" | "locals" | "provider" => {
                    self.walk_body(&block.body, line, out, 0)
                }
                _ => {}
            }
        }
    }

    fn walk_body(&self, body: &Body, line: Option<u32>, out: &mut Facts, depth: usize) {
        if depth > MAX_EXPR_DEPTH {
            return;
        }
        for a in body.attributes() {
            self.walk_expr(&a.expr, a.key.as_str(), line, out, depth + 1);
            if matches!(
                a.key.as_str(),
                "variables" | "environment_variables" | "app_settings" | "secret_variables" | "env"
            ) {
                self.env_names(&a.expr, line, out);
            }
        }
        for b in body.blocks() {
            self.walk_body(&b.body, line, out, depth + 1);
        }
    }

    fn walk_expr(
        &self,
        expr: &Expression,
        key: &str,
        line: Option<u32>,
        out: &mut Facts,
        depth: usize,
    ) {
        if depth > MAX_EXPR_DEPTH {
            return;
        }
        match expr {
            Expression::Array(items) => {
                for item in items {
                    self.walk_expr(item, key, line, out, depth + 1);
                }
            }
            Expression::Object(map) => {
                // `{ name = "DD_API_KEY", value = ... }` in an ECS container definition.
                let name =
                    map.iter().find(|(k, _)| object_key(k) == "name").and_then(|(_, v)| lit(v));
                let has_value = map
                    .iter()
                    .any(|(k, _)| matches!(object_key(k).as_str(), "value" | "valueFrom"));
                if let (Some(name), true) = (name, has_value) {
                    self.env_name(name, line, out);
                }
                for (k, v) in map {
                    let k = object_key(k);
                    if matches!(k.as_str(), "environment" | "variables" | "environment_variables") {
                        self.env_names(v, line, out);
                    }
                    self.walk_expr(v, &k, line, out, depth + 1);
                }
            }
            Expression::FuncCall(call) => {
                for arg in &call.args {
                    self.walk_expr(arg, key, line, out, depth + 1);
                }
            }
            Expression::Parenthesis(inner) => self.walk_expr(inner, key, line, out, depth + 1),
            Expression::Conditional(c) => {
                self.walk_expr(&c.true_expr, key, line, out, depth + 1);
                self.walk_expr(&c.false_expr, key, line, out, depth + 1);
            }
            _ => {
                if let Some(text) = raw_text(expr) {
                    self.url_value(text, key, line, out);
                }
            }
        }
    }

    fn url_value(&self, value: &str, key: &str, from: Option<u32>, out: &mut Facts) {
        let Some(url) = parse_url(value) else { return };
        let line = from.and_then(|f| self.line_with(Some(f), url.host)).or(from);
        if let Some(v) = self.ctx.catalog.vendor_by_host(url.host) {
            let excerpt = format!("{key} = {}://{}", url.scheme, url.host);
            out.push(Claim::Entity(vendor_entity(self.ctx, v)), self.ctx.evidence(line, &excerpt));
        }
        if is_url_key(key) {
            plaintext_url(self.ctx, out, value, line, key);
        }
    }

    /// The keys of an environment map are variable names.
    fn env_names(&self, expr: &Expression, line: Option<u32>, out: &mut Facts) {
        if let Expression::Object(map) = expr {
            for k in map.keys() {
                self.env_name(&object_key(k), line, out);
            }
        }
    }

    fn env_name(&self, var: &str, from: Option<u32>, out: &mut Facts) {
        let Some(v) = self.ctx.catalog.vendor_by_env(var) else { return };
        let line = from.and_then(|f| self.line_with(Some(f), var)).or(from);
        let vendor = vendor_entity(self.ctx, v);
        let ev = self.ctx.evidence(line, var);
        out.push(Claim::Entity(vendor.clone()), ev.clone());
        let claim = Claim::Flow {
            from: Target::Known(self.ctx.component.clone()),
            to: Target::Known(vendor),
            data: Vec::new(),
            full_record: false,
        };
        out.push_once(claim, ev);
    }

    // -- prose ------------------------------------------------------------------------------

    /// `description` attributes of every block, as prose.
    fn descriptions(&self, body: &Body) -> Vec<Note> {
        let mut notes = Vec::new();
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
            let line = self.block_line(block.identifier.as_str(), &labels);
            self.block_descriptions(block, line, &mut notes, 0);
        }
        notes
    }

    fn block_descriptions(
        &self,
        block: &Block,
        from: Option<u32>,
        notes: &mut Vec<Note>,
        depth: usize,
    ) {
        if depth > MAX_EXPR_DEPTH {
            return;
        }
        if let Some(text) = attr(&block.body, "description").and_then(raw_text) {
            let line = self.line_with(from, text).or(from).unwrap_or(1);
            notes.push(Note { line, text: text.to_string(), own_line: false });
        }
        for b in block.body.blocks() {
            self.block_descriptions(b, from, notes, depth + 1);
        }
    }
}

/// Attributes that hold a store's real name, in order of preference.
const NAME_ATTRS: &[&str] = &[
    "bucket",
    "identifier",
    "cluster_identifier",
    "replication_group_id",
    "cluster_id",
    "name",
    "creation_token",
    "domain_name",
    "table_name",
];

/// Tag keys that classify data (normalized: lowercase, `-` as `_`).
const CLASS_KEYS: &[&str] = &[
    "data_class",
    "data_classification",
    "dataclassification",
    "classification",
    "sensitivity",
    "data_sensitivity",
    "phi",
    "contains_phi",
    "hipaa",
    "confidentiality",
];

/// AWS managed policies that grant everything, or everything of a data service.
const MANAGED_BROAD: &[(&str, &str)] = &[
    ("AdministratorAccess", "* on *"),
    ("PowerUserAccess", "* on *"),
    ("AmazonS3FullAccess", "s3:* on *"),
    ("AmazonS3ReadOnlyAccess", "s3:Get* on *"),
    ("AmazonRDSFullAccess", "rds:* on *"),
    ("AmazonDynamoDBFullAccess", "dynamodb:* on *"),
    ("AmazonRedshiftFullAccess", "redshift:* on *"),
];

/// Services whose `service:*` on every resource is access to the data they hold.
const DATA_SERVICES: &[&str] = &[
    "s3",
    "dynamodb",
    "rds",
    "rds-data",
    "rds-db",
    "redshift",
    "redshift-data",
    "athena",
    "glue",
    "healthlake",
    "elasticfilesystem",
    "es",
    "secretsmanager",
];

/// Whether a classification tag value marks PHI: `phi`, `restricted-phi`, `ePHI`, `hipaa`, or a
/// true `phi`/`hipaa` flag.
fn class_marks_phi(key: &str, value: &Expression) -> bool {
    if matches!(key, "phi" | "contains_phi" | "hipaa") {
        if let Some(b) = bool_of(value) {
            return b;
        }
    }
    let Some(v) = lit(value) else { return false };
    let words = crate::text::words(v);
    let negated = words.iter().any(|t| matches!(t.word.as_str(), "non" | "no" | "not" | "nonphi"));
    !negated && words.iter().any(|t| matches!(t.word.as_str(), "phi" | "ephi" | "hipaa"))
}

/// Resource types this module declares as entities.
fn declares(rtype: &str) -> bool {
    store_kind(rtype).is_some()
        || matches!(
            rtype,
            "aws_lb" | "aws_alb" | "aws_elb" | "aws_iam_role" | "aws_iam_user" | "aws_iam_group"
        )
}

/// The kind of entity a storage or messaging resource type creates.
fn store_kind(rtype: &str) -> Option<EntityKind> {
    let data = matches!(
        rtype,
        "aws_s3_bucket"
            | "aws_efs_file_system"
            | "aws_db_instance"
            | "aws_rds_cluster"
            | "aws_dynamodb_table"
            | "aws_ebs_volume"
            | "aws_redshift_cluster"
            | "aws_docdb_cluster"
            | "aws_neptune_cluster"
            | "aws_opensearch_domain"
            | "aws_elasticsearch_domain"
            | "aws_cloudwatch_log_group"
            | "aws_backup_vault"
            | "aws_glacier_vault"
            | "aws_healthlake_fhir_datastore"
            | "google_storage_bucket"
            | "google_sql_database_instance"
            | "google_bigquery_dataset"
            | "google_bigquery_table"
            | "google_spanner_instance"
            | "google_firestore_database"
            | "google_redis_instance"
            | "google_alloydb_cluster"
            | "google_healthcare_dataset"
            | "google_healthcare_fhir_store"
            | "azurerm_storage_account"
            | "azurerm_storage_container"
            | "azurerm_storage_share"
            | "azurerm_mssql_server"
            | "azurerm_mssql_database"
            | "azurerm_cosmosdb_account"
            | "azurerm_redis_cache"
            | "azurerm_healthcare_fhir_service"
    ) || (rtype.starts_with("aws_elasticache_")
        && ["_cluster", "_replication_group", "_serverless_cache"]
            .iter()
            .any(|s| rtype.ends_with(s)))
        || (rtype.starts_with("aws_fsx_") && rtype.ends_with("_file_system"))
        || (["azurerm_postgresql_", "azurerm_mysql_", "azurerm_mariadb_"]
            .iter()
            .any(|p| rtype.starts_with(p))
            && rtype.ends_with("server"));
    let queue = matches!(
        rtype,
        "aws_sqs_queue"
            | "aws_sns_topic"
            | "aws_kinesis_stream"
            | "aws_msk_cluster"
            | "google_pubsub_topic"
            | "azurerm_servicebus_queue"
            | "azurerm_eventhub"
    );
    if data {
        Some(EntityKind::DataStore)
    } else if queue {
        Some(EntityKind::Queue)
    } else {
        None
    }
}

// -- policies -------------------------------------------------------------------------------

/// One IAM policy statement, as far as the checks need it.
#[derive(Debug, Default)]
struct Statement {
    allow: bool,
    /// `Principal: "*"`.
    anyone: bool,
    actions: Vec<String>,
    resources: Vec<String>,
    conditional: bool,
}

/// The scope of the broadest grant: `s3:* on *`.
fn broad_scope(statements: &[Statement]) -> Option<String> {
    statements.iter().filter(|s| s.allow).find_map(|s| {
        let action = s.actions.iter().find(|a| {
            *a == "*"
                || a.split_once(':')
                    .is_some_and(|(svc, act)| act == "*" && DATA_SERVICES.contains(&svc))
        })?;
        let resource = s.resources.iter().find(|r| *r == "*" || r.as_str() == "arn:aws:s3:::*")?;
        Some(format!("{action} on {resource}"))
    })
}

/// Statements of a JSON policy document.
fn statements_json(doc: &Value) -> Vec<Statement> {
    let list = match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    list.into_iter()
        .map(|s| Statement {
            allow: s.get("Effect").and_then(Value::as_str).is_none_or(|e| e == "Allow"),
            anyone: match s.get("Principal") {
                Some(Value::String(p)) => p == "*",
                Some(Value::Object(map)) => {
                    map.values().any(|v| strings(v).iter().any(|p| p == "*"))
                }
                _ => false,
            },
            actions: s.get("Action").map(strings).unwrap_or_default(),
            resources: s.get("Resource").map(strings).unwrap_or_default(),
            conditional: s.get("Condition").is_some_and(|c| !c.is_null()),
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// Statements of a `data "aws_iam_policy_document"` block.
fn statements_document(body: &Body) -> Vec<Statement> {
    body.blocks()
        .filter(|b| b.identifier.as_str() == "statement")
        .map(|b| {
            let list =
                |k: &str| attr(&b.body, k).map(|e| strings(&to_json(e, 0))).unwrap_or_default();
            let anyone =
                b.body.blocks().filter(|p| p.identifier.as_str() == "principals").any(|p| {
                    attr(&p.body, "identifiers")
                        .is_some_and(|e| strings(&to_json(e, 0)).iter().any(|i| i == "*"))
                });
            Statement {
                allow: attr(&b.body, "effect").and_then(lit).is_none_or(|e| e == "Allow"),
                anyone,
                actions: list("actions"),
                resources: list("resources"),
                conditional: b.body.blocks().any(|c| c.identifier.as_str() == "condition"),
            }
        })
        .collect()
}

// -- expressions ----------------------------------------------------------------------------

fn attr<'b>(body: &'b Body, key: &str) -> Option<&'b Expression> {
    body.attributes().find(|a| a.key.as_str() == key).map(|a| &a.expr)
}

/// A string without interpolation.
fn lit(expr: &Expression) -> Option<&str> {
    match expr {
        Expression::String(s) => Some(s),
        Expression::TemplateExpr(t) => match t.as_ref() {
            TemplateExpr::QuotedString(s) if !s.contains("${") && !s.contains("%{") => Some(s),
            _ => None,
        },
        Expression::Parenthesis(inner) => lit(inner),
        _ => None,
    }
}

/// The text of a string or template, interpolations left in.
fn raw_text(expr: &Expression) -> Option<&str> {
    match expr {
        Expression::String(s) => Some(s),
        Expression::TemplateExpr(t) => Some(match t.as_ref() {
            TemplateExpr::QuotedString(s) => s,
            TemplateExpr::Heredoc(h) => &h.template,
        }),
        _ => None,
    }
}

fn bool_of(expr: &Expression) -> Option<bool> {
    match expr {
        Expression::Bool(b) => Some(*b),
        _ => match lit(expr)? {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
    }
}

/// Set to something other than null or a condition that may be null.
fn is_set(expr: &Expression) -> bool {
    !matches!(expr, Expression::Null | Expression::Conditional(_))
}

/// A traversal as its root and attribute names: `aws_s3_bucket.x.id` → (`aws_s3_bucket`,
/// [`x`, `id`]). Index operators are skipped.
fn reference(expr: &Expression) -> Option<(String, Vec<String>)> {
    let Expression::Traversal(t) = expr else { return None };
    let Expression::Variable(root) = &t.expr else { return None };
    let path = t
        .operators
        .iter()
        .filter_map(|op| match op {
            TraversalOperator::GetAttr(id) => Some(id.to_string()),
            _ => None,
        })
        .collect();
    Some((root.as_str().to_string(), path))
}

fn object_key(key: &ObjectKey) -> String {
    match key {
        ObjectKey::Identifier(id) => id.to_string(),
        ObjectKey::Expression(e) => lit(e).map_or_else(|| e.to_string(), str::to_string),
        _ => String::new(),
    }
}

/// An HCL expression as JSON, for policy documents: references and calls become their text.
fn to_json(expr: &Expression, depth: usize) -> Value {
    if depth > MAX_EXPR_DEPTH {
        return Value::Null;
    }
    match expr {
        Expression::Null => Value::Null,
        Expression::Bool(b) => Value::Bool(*b),
        Expression::Number(n) => Value::String(n.to_string()),
        Expression::Array(items) => {
            Value::Array(items.iter().map(|e| to_json(e, depth + 1)).collect())
        }
        Expression::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (object_key(k), to_json(v, depth + 1))).collect())
        }
        Expression::Parenthesis(inner) => to_json(inner, depth + 1),
        other => raw_text(other)
            .map_or_else(|| Value::String(other.to_string()), |s| Value::String(s.to_string())),
    }
}

/// Whether any string in a body contains one of `needles`.
fn body_mentions(body: &Body, needles: &[&str], depth: usize) -> bool {
    if depth > MAX_EXPR_DEPTH {
        return false;
    }
    body.attributes().any(|a| expr_mentions(&a.expr, needles, depth + 1))
        || body.blocks().any(|b| body_mentions(&b.body, needles, depth + 1))
}

fn expr_mentions(expr: &Expression, needles: &[&str], depth: usize) -> bool {
    if depth > MAX_EXPR_DEPTH {
        return false;
    }
    match expr {
        Expression::Array(items) => items.iter().any(|e| expr_mentions(e, needles, depth + 1)),
        Expression::Object(map) => map.values().any(|e| expr_mentions(e, needles, depth + 1)),
        other => raw_text(other).is_some_and(|t| needles.iter().any(|n| t.contains(n))),
    }
}

// -- text -----------------------------------------------------------------------------------

/// What follows `key =` on a line that assigns `key` (bare or quoted), if it does.
fn hcl_key_rest<'l>(line: &'l str, key: &str) -> Option<&'l str> {
    let t = line.trim_start();
    let rest = t
        .strip_prefix(key)
        .or_else(|| t.strip_prefix('"')?.strip_prefix(key)?.strip_prefix('"'))?;
    let rest = rest.trim_start().strip_prefix('=')?;
    (!rest.starts_with('=')).then_some(rest.trim())
}

/// The first line of each block header in the text, keyed by its keyword and labels
/// (`resource "aws_s3_bucket" "x" {` → [`resource`, `aws_s3_bucket`, `x`]).
fn block_headers(text: &str) -> HashMap<Vec<&str>, u32> {
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let code = comment_marker(line).map_or(line, |(at, _)| &line[..at]);
        let Some(head) = code.split_once('{').map(|(h, _)| h) else { continue };
        let key: Vec<&str> = head
            .split_whitespace()
            .map(|t| t.trim_matches('"'))
            .filter(|t| !t.is_empty())
            .collect();
        if !key.is_empty() && !key[0].starts_with(['#', '/']) {
            out.entry(key).or_insert(i as u32 + 1);
        }
    }
    out
}

/// A line that opens a top-level block (`resource "x" "y" {`, `locals {`).
fn starts_top_level_block(line: &str) -> bool {
    line.starts_with(|c: char| c.is_ascii_alphabetic()) && line.trim_end().ends_with('{')
}

/// Deepest bracket nesting in the text (strings and comments included; an upper bound).
fn nesting(text: &str) -> usize {
    let mut depth: usize = 0;
    let mut max = 0;
    for b in text.bytes() {
        match b {
            b'{' | b'[' | b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The comments of an HCL file (`#`, `//`, `/* */`), without commented-out code. Heredoc
/// bodies and strings are skipped.
fn hcl_comments(text: &str) -> Vec<Note> {
    let mut out = Vec::new();
    let mut heredoc: Option<String> = None;
    let mut in_block = false;
    for (i, line) in text.lines().enumerate() {
        let n = i as u32 + 1;
        if let Some(end) = &heredoc {
            if line.trim() == end {
                heredoc = None;
            }
            continue;
        }
        if in_block {
            let (body, closed) = match line.find("*/") {
                Some(at) => (&line[..at], true),
                None => (line, false),
            };
            push_comment(&mut out, n, body.trim().trim_start_matches('*'), true);
            in_block = !closed;
            continue;
        }
        let Some((at, marker)) = comment_marker(line) else {
            if let Some(at) = line.find("<<") {
                let tag = line[at + 2..].trim_start_matches('-').trim();
                if !tag.is_empty() && tag.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    heredoc = Some(tag.to_string());
                }
            }
            continue;
        };
        let own_line = line[..at].trim().is_empty();
        let rest = &line[at + marker.len()..];
        if marker == "/*" {
            match rest.find("*/") {
                Some(end) => push_comment(&mut out, n, &rest[..end], own_line),
                None => {
                    push_comment(&mut out, n, rest, own_line);
                    in_block = true;
                }
            }
        } else {
            push_comment(&mut out, n, rest.trim_start_matches(['#', '/']), own_line);
        }
    }
    out
}

fn push_comment(out: &mut Vec<Note>, line: u32, text: &str, own_line: bool) {
    let text = text.trim();
    if text.is_empty() || looks_like_code(text) {
        return;
    }
    out.push(Note { line, text: text.to_string(), own_line });
}

/// Commented-out HCL: an assignment, a block header or a closing brace.
fn looks_like_code(text: &str) -> bool {
    let assignment = text.split_once('=').is_some_and(|(k, v)| {
        let k = k.trim().trim_matches('"');
        !k.is_empty()
            && k.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && !v.starts_with('=')
    });
    assignment || text.ends_with('{') || text == "}" || text.starts_with("} ")
}

/// The first comment marker outside a string.
fn comment_marker(line: &str) -> Option<(usize, &'static str)> {
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if b == b'\\' {
                i += 1;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'#' {
            return Some((i, "#"));
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            return Some((i, "//"));
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            return Some((i, "/*"));
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::PhiType;
    use crate::extract::yaml::tests::{attrs, entities, flows, run};

    fn tf(text: &str) -> Vec<Fact> {
        run("infra/main.tf", Format::Terraform, text, extract)
    }

    const LAB_BUCKET: &str = r#"# Result PDFs for the portal.
resource "aws_s3_bucket" "results" {
  bucket = "acme-prod-lab-result-pdfs"
  tags   = merge(local.tags, { data_class = "phi" })
}

resource "aws_s3_bucket_public_access_block" "results" {
  bucket                  = aws_s3_bucket.results.id
  block_public_acls       = false
  block_public_policy     = false
  ignore_public_acls      = false
  restrict_public_buckets = false
}

resource "aws_s3_bucket_acl" "results" {
  bucket = aws_s3_bucket.results.id
  acl    = "public-read"
}

resource "aws_efs_file_system" "spool" {
  creation_token = "acme-prod-spool"
  encrypted      = false # a new file system is needed to turn this on
  tags           = { Name = "acme-prod-spool", data_class = "phi" }
}
"#;

    #[test]
    fn public_phi_bucket_and_unencrypted_spool() {
        let facts = tf(LAB_BUCKET);
        let bucket = "acme-prod-lab-result-pdfs";
        assert_eq!(entities(&facts, EntityKind::DataStore), [bucket, "acme-prod-spool"]);
        assert!(facts.iter().any(|f| matches!(&f.claim,
            Claim::Alias { name, of } if name == "results" && of.name == bucket)));
        let held = attrs(&facts, bucket, &Attr::HoldsPhi);
        assert_eq!(held, [(Some(3), vec![PhiType::LabResult])]);
        assert_eq!(attrs(&facts, bucket, &Attr::PhiTagged), [(Some(4), vec![])]);
        let public: Vec<Option<u32>> =
            attrs(&facts, bucket, &Attr::Public).into_iter().map(|p| p.0).collect();
        assert_eq!(public, [Some(9), Some(17)]);
        let spool = attrs(&facts, "acme-prod-spool", &Attr::UnencryptedAtRest);
        assert_eq!(spool, [(Some(22), vec![])]);
        assert_eq!(attrs(&facts, "acme-prod-spool", &Attr::PhiTagged), [(Some(23), vec![])]);
    }

    #[test]
    fn public_marketing_bucket_holds_no_phi() {
        let text = r#"resource "aws_s3_bucket" "site" {
  bucket = "acme-www"
  tags   = { data_class = "public" }
}

resource "aws_s3_bucket_policy" "site" {
  bucket = aws_s3_bucket.site.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.site.arn}/*"
    }]
  })
}
"#;
        let facts = tf(text);
        assert_eq!(attrs(&facts, "acme-www", &Attr::Public), [(Some(12), vec![])]);
        assert!(attrs(&facts, "acme-www", &Attr::HoldsPhi).is_empty());
        assert!(attrs(&facts, "acme-www", &Attr::PhiTagged).is_empty());
        assert!(attrs(&facts, "acme-www", &Attr::Untagged).is_empty());
    }

    #[test]
    fn http_listener_makes_the_balancer_plaintext() {
        let text = r#"resource "aws_lb" "hook" {
  name     = "partner-hook-public"
  internal = false
}

resource "aws_lb_target_group" "hook" {
  protocol = "HTTP"
}

resource "aws_lb_listener" "hook_http" {
  load_balancer_arn = aws_lb.hook.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.hook.arn
  }
}

resource "aws_lb_listener" "hook_redirect" {
  load_balancer_arn = aws_lb.hook.arn
  protocol          = "HTTP"
  default_action {
    type = "redirect"
  }
}
"#;
        let facts = tf(text);
        assert_eq!(entities(&facts, EntityKind::Endpoint), ["partner-hook-public"]);
        assert_eq!(attrs(&facts, "partner-hook-public", &Attr::Plaintext), [(Some(13), vec![])]);
        assert!(facts.iter().any(|f| matches!(&f.claim,
            Claim::Alias { name, of } if name == "hook" && of.name == "partner-hook-public")));
    }

    #[test]
    fn comments_and_descriptions_are_prose() {
        let text = r#"# Intake demographics incl. SSN and diagnosis codes go to Mixpanel.
resource "aws_security_group" "intake" {
  description = "Webhooks from Mixpanel"
  # from_port = 80
}
"#;
        let facts = tf(text);
        let flow = facts.iter().find(|f| {
            matches!(&f.claim, Claim::Flow { to: Target::Known(v), data, .. }
                if v.name == "Mixpanel" && !data.is_empty())
        });
        assert_eq!(flow.map(|f| f.evidence.line), Some(Some(1)), "{facts:#?}");
        let notes = hcl_comments(text);
        assert_eq!(notes.len(), 1, "commented-out code is not prose: {notes:?}");
    }

    #[test]
    fn broad_iam_policy_and_vendor_settings() {
        let text = r#"resource "aws_iam_role" "etl" {
  name = "etl-runner"
}

resource "aws_iam_role_policy" "etl" {
  role   = aws_iam_role.etl.id
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = ["s3:*"], Resource = "*" }]
  })
}

resource "aws_lambda_function" "notify" {
  environment {
    variables = {
      SENDGRID_API_KEY = "x"
      RESULTS_WEBHOOK_URL = "http://results.partner.example/hook"
    }
  }
}

provider "datadog" {}
"#;
        let facts = tf(text);
        let broad = attrs(&facts, "etl-runner", &Attr::BroadAccess("s3:* on *".into()));
        assert_eq!(broad, [(Some(8), vec![])]);
        assert!(
            flows(&facts).contains(&("repo".into(), "SendGrid".into(), Some(15))),
            "{:?}",
            flows(&facts)
        );
        assert_eq!(attrs(&facts, "results", &Attr::Plaintext), [(Some(16), vec![])]);
        assert!(entities(&facts, EntityKind::Vendor).contains(&"Datadog".to_string()));
    }

    #[test]
    fn untagged_store_and_default_encryption() {
        let text = r#"resource "aws_db_instance" "patients" {
  identifier = "acme-lab-results"
  tags       = { owner = "clinical-apps" }
}
"#;
        let facts = tf(text);
        let untagged = attrs(&facts, "acme-lab-results", &Attr::Untagged);
        assert_eq!(untagged.len(), 1);
        assert_eq!(untagged[0].0, Some(3));
        let unenc = attrs(&facts, "acme-lab-results", &Attr::UnencryptedAtRest);
        assert_eq!(unenc.len(), 1, "{facts:#?}");
        assert_eq!(unenc[0].0, Some(1));
    }

    #[test]
    fn a_label_shared_by_two_stores_is_no_alias() {
        let text = r#"resource "aws_s3_bucket" "records" {
  bucket = "acme-records-export"
}

resource "aws_db_instance" "records" {
  identifier = "acme-records"
}
"#;
        let facts = tf(text);
        assert_eq!(
            entities(&facts, EntityKind::DataStore),
            ["acme-records-export", "acme-records"]
        );
        assert!(!facts.iter().any(|f| matches!(&f.claim, Claim::Alias { .. })), "{facts:#?}");
    }

    #[test]
    fn malformed_and_deeply_nested_input_is_an_error() {
        let catalog = crate::catalog::Catalog::builtin();
        for text in ["resource \"a\" {\n  x = \n", &"[".repeat(10_000)] {
            let artifact = phiflow_pipeline::ArtifactEvent::new(
                phiflow_pipeline::Source::Files,
                "x.tf",
                "default",
                text.to_string(),
            );
            let ctx = Ctx {
                catalog: &catalog,
                artifact: &artifact,
                text,
                format: Format::Terraform,
                component: EntityRef::new("repo", EntityKind::Service),
            };
            assert!(matches!(extract(&ctx), Err(ExtractError::Malformed { .. })));
        }
    }
}
