//! Extraction: one module per artifact format, each turning an artifact's content into
//! [`Fact`]s with evidence.
//!
//! Prose formats (chat threads, Confluence pages, Markdown, transcripts) are first read into a
//! [`doc::Doc`] and then analyzed by [`prose`], so that every prose format is understood the
//! same way. Structured formats (Terraform, Kubernetes, compose, OpenAPI, manifests) state
//! entities and settings outright and produce facts directly; their comments go through the
//! prose analyzer too. Diagrams (Mermaid, draw.io, PlantUML, Structurizr) are read into a
//! diagram `Diagram` of nodes, edges and boundaries, which all of them turn into facts the
//! same way.

pub mod asyncapi;
pub mod code;
pub mod confluence;
pub mod csv;
pub mod dependencies;
mod diagram;
pub mod doc;
pub mod drawio;
pub mod manifests;
pub mod markdown;
pub mod mermaid;
pub mod openapi;
pub mod plantuml;
pub mod prose;
pub mod slack;
pub mod sql;
pub mod structurizr;
pub mod terraform;
pub mod transcript;
pub mod yaml;

use phiflow_pipeline::event::CHAT_THREAD_MEDIA_TYPE;
use phiflow_pipeline::ArtifactEvent;

use crate::catalog::Catalog;
use crate::mask::mask;
use crate::model::{Claim, EntityKind, EntityRef, Evidence, Fact};
use crate::text::clip;

/// The formats phiflow reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    ChatThread,
    ConfluenceStorage,
    ConfluenceJson,
    Markdown,
    Html,
    WebVtt,
    Srt,
    OpenApi,
    Compose,
    Kubernetes,
    YamlConfig,
    JsonConfig,
    Terraform,
    PackageJson,
    Requirements,
    DotEnv,
    Sql,
    Mermaid,
    Notebook,
    Source,
    DrawIo,
    PlantUml,
    Structurizr,
    AsyncApi,
    DataDictionary,
    Podfile,
    Gradle,
    Gemfile,
    GoMod,
    MavenPom,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::ChatThread => "chat-thread",
            Format::ConfluenceStorage => "confluence-storage",
            Format::ConfluenceJson => "confluence-json",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::WebVtt => "webvtt",
            Format::Srt => "srt",
            Format::OpenApi => "openapi",
            Format::Compose => "docker-compose",
            Format::Kubernetes => "kubernetes",
            Format::YamlConfig => "yaml-config",
            Format::JsonConfig => "json-config",
            Format::Terraform => "terraform",
            Format::PackageJson => "package-json",
            Format::Requirements => "requirements-txt",
            Format::DotEnv => "dotenv",
            Format::Sql => "sql",
            Format::Mermaid => "mermaid",
            Format::Notebook => "jupyter-notebook",
            Format::Source => "source",
            Format::DrawIo => "drawio",
            Format::PlantUml => "plantuml",
            Format::Structurizr => "structurizr-dsl",
            Format::AsyncApi => "asyncapi",
            Format::DataDictionary => "csv-data-dictionary",
            Format::Podfile => "podfile",
            Format::Gradle => "gradle",
            Format::Gemfile => "gemfile",
            Format::GoMod => "go-mod",
            Format::MavenPom => "maven-pom",
        }
    }

    /// Code and infrastructure, as opposed to design documents.
    pub fn is_implementation(self) -> bool {
        !matches!(
            self,
            Format::ChatThread
                | Format::ConfluenceStorage
                | Format::ConfluenceJson
                | Format::Markdown
                | Format::Html
                | Format::WebVtt
                | Format::Srt
                | Format::Mermaid
                | Format::DrawIo
                | Format::PlantUml
                | Format::Structurizr
                | Format::DataDictionary
        )
    }
}

/// Why an artifact yielded no facts.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// phiflow does not read this format (yet); the artifact is listed as skipped.
    #[error("{0}")]
    Unsupported(String),
    /// The artifact claims a format but its content does not parse.
    #[error("{format} parse error: {message}")]
    Malformed { format: &'static str, message: String },
}

impl ExtractError {
    pub fn malformed(format: Format, message: impl ToString) -> Self {
        ExtractError::Malformed { format: format.as_str(), message: message.to_string() }
    }
}

/// What extraction works with: the catalog and the artifact, and how to cite it.
pub struct Ctx<'a> {
    pub catalog: &'a Catalog,
    pub artifact: &'a ArtifactEvent,
    pub text: &'a str,
    pub format: Format,
    /// The component the artifact belongs to (repository or system), used as the sender of
    /// flows whose source the artifact does not name.
    pub component: EntityRef,
}

/// Longest excerpt kept as evidence, in characters.
pub const EXCERPT_CHARS: usize = 240;

impl Ctx<'_> {
    /// Evidence at `line` of this artifact with a masked excerpt of `excerpt`.
    pub fn evidence(&self, line: Option<u32>, excerpt: &str) -> Evidence {
        self.evidence_in(None, line, excerpt)
    }

    /// Evidence in another file of the same artifact (a chat message's day file).
    pub fn evidence_in(&self, file: Option<&str>, line: Option<u32>, excerpt: &str) -> Evidence {
        Evidence {
            artifact_id: self.artifact.id.clone(),
            revision: self.artifact.revision.clone(),
            path: file.unwrap_or(&self.artifact.path).to_string(),
            uri: self.artifact.uri.clone(),
            line,
            excerpt: mask(&clip(excerpt, EXCERPT_CHARS)),
            implementation: self.format.is_implementation(),
            phi_from_context: false,
        }
    }

    /// Evidence at the first line containing `needle` (searching from line 1).
    pub fn evidence_for(&self, needle: &str, excerpt: &str) -> Evidence {
        let line = crate::text::find_line(self.text, needle, 1);
        self.evidence(line, excerpt)
    }

    /// The text of line `line` (1-based), trimmed.
    pub fn line_text(&self, line: u32) -> &str {
        self.text.lines().nth(line.saturating_sub(1) as usize).unwrap_or("").trim()
    }
}

/// Work out an artifact's format from its media type, path and content.
pub fn detect(artifact: &ArtifactEvent, text: &str) -> Result<Format, ExtractError> {
    if artifact.media_type.as_deref() == Some(CHAT_THREAD_MEDIA_TYPE) {
        return Ok(Format::ChatThread);
    }
    let path = artifact.path.to_lowercase();
    let name = path.rsplit('/').next().unwrap_or(&path);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if is_own_report(ext, text) {
        return Err(ExtractError::Unsupported(
            "phiflow's own report: not read back as a design artifact".to_string(),
        ));
    }
    let format = match ext {
        "xhtml" => Format::ConfluenceStorage,
        "md" | "markdown" | "txt" | "rst" | "adoc" | "text" => markdown_or_requirements(name),
        "html" | "htm" => Format::Html,
        "vtt" => Format::WebVtt,
        "srt" => Format::Srt,
        "tf" | "tfvars" | "hcl" => Format::Terraform,
        "sql" | "ddl" => Format::Sql,
        "mmd" | "mermaid" => Format::Mermaid,
        "drawio" => Format::DrawIo,
        "xml" => xml_kind(name, text)?,
        "puml" | "plantuml" | "pu" | "iuml" => Format::PlantUml,
        "dsl" => structurizr_kind(text)?,
        "csv" | "tsv" => Format::DataDictionary,
        "gradle" => Format::Gradle,
        "kts" if name.ends_with(".gradle.kts") => Format::Gradle,
        "mod" if name == "go.mod" => Format::GoMod,
        "ipynb" => Format::Notebook,
        "yaml" | "yml" => yaml_kind(name, text),
        "json" => json_kind(name, text),
        "ts" | "tsx" | "js" | "jsx" | "mjs" | "cjs" | "py" | "java" | "kt" | "go" | "rb" | "cs" => {
            Format::Source
        }
        _ if name.starts_with(".env") || name.ends_with(".env") => Format::DotEnv,
        _ if name == "podfile" => Format::Podfile,
        _ if name == "gemfile" => Format::Gemfile,
        _ if name.starts_with("readme") || name == "license" => Format::Markdown,
        _ => return Err(ExtractError::Unsupported(unsupported_reason(ext))),
    };
    Ok(format)
}

/// Reports phiflow wrote (table text aside): reading them back would turn findings into facts.
fn is_own_report(ext: &str, text: &str) -> bool {
    let head: String = text.chars().take(2000).collect();
    match ext {
        "html" | "htm" => head.contains("<meta name=\"generator\" content=\"phiflow\">"),
        "md" | "markdown" => head.starts_with("# phiflow report:"),
        "json" | "sarif" => {
            let report = head.contains("\"model_version\"") && head.contains("\"organization\"");
            let sarif = head.contains("sarif") && text.contains("\"name\": \"phiflow\"");
            let ocsf = head.contains("\"class_uid\": 2003") && head.contains("\"phiflow\"");
            report || sarif || ocsf
        }
        _ => false,
    }
}

fn unsupported_reason(ext: &str) -> String {
    if ext.is_empty() {
        "unsupported format: file has no extension phiflow reads".to_string()
    } else {
        format!("unsupported format: .{ext} files are not read yet")
    }
}

fn markdown_or_requirements(name: &str) -> Format {
    if name.starts_with("requirements") && name.ends_with(".txt") {
        Format::Requirements
    } else {
        Format::Markdown
    }
}

/// `.xml` files phiflow reads: draw.io diagrams (`<mxfile>` or a bare `<mxGraphModel>`) and
/// Maven's `pom.xml`.
fn xml_kind(name: &str, text: &str) -> Result<Format, ExtractError> {
    if name == "pom.xml" {
        return Ok(Format::MavenPom);
    }
    if drawio::is_drawio(text) {
        return Ok(Format::DrawIo);
    }
    Err(ExtractError::Unsupported(unsupported_reason("xml")))
}

/// `.dsl` files that are Structurizr workspaces; other DSLs are not read.
fn structurizr_kind(text: &str) -> Result<Format, ExtractError> {
    if structurizr::is_structurizr(text) {
        Ok(Format::Structurizr)
    } else {
        Err(ExtractError::Unsupported(unsupported_reason("dsl")))
    }
}

fn yaml_kind(name: &str, text: &str) -> Format {
    let has_top = |key: &str| text.lines().any(|l| l.starts_with(key));
    if has_top("asyncapi:") {
        Format::AsyncApi
    } else if has_top("openapi:") || has_top("swagger:") {
        Format::OpenApi
    } else if name.contains("compose") && has_top("services:") {
        Format::Compose
    } else if has_top("apiVersion:") && has_top("kind:") {
        Format::Kubernetes
    } else {
        Format::YamlConfig
    }
}

fn json_kind(name: &str, text: &str) -> Format {
    if name == "package.json" {
        return Format::PackageJson;
    }
    let head: String = text.chars().take(4000).collect();
    if head.contains("\"asyncapi\"") {
        Format::AsyncApi
    } else if head.contains("\"openapi\"") || head.contains("\"swagger\"") {
        Format::OpenApi
    } else if is_confluence_page(&head) {
        Format::ConfluenceJson
    } else {
        Format::JsonConfig
    }
}

/// A Confluence REST page: a title with a space id, or a storage body, or a web UI link.
fn is_confluence_page(head: &str) -> bool {
    head.contains("\"title\"")
        && (head.contains("\"spaceId\"")
            || head.contains("\"webui\"")
            || head.contains("\"body\"") && head.contains("\"storage\""))
}

/// Extract the facts of one artifact revision.
pub fn extract(ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    let facts = match ctx.format {
        Format::ChatThread => prose::analyze(ctx, &slack::read(ctx)?),
        Format::ConfluenceStorage => {
            let mut facts = prose::analyze(ctx, &confluence::read_storage(ctx.text)?);
            facts.extend(mermaid::in_confluence(ctx, ctx.text, None));
            facts
        }
        Format::ConfluenceJson => {
            let mut facts = prose::analyze(ctx, &confluence::read_json(ctx.text)?);
            facts.extend(mermaid::in_confluence_json(ctx));
            facts
        }
        Format::Markdown => {
            let mut facts = prose::analyze(ctx, &markdown::read(ctx.text));
            facts.extend(mermaid::in_markdown(ctx));
            facts
        }
        Format::Html => prose::analyze(ctx, &markdown::read_html(ctx.text)?),
        Format::WebVtt | Format::Srt => prose::analyze(ctx, &transcript::read(ctx.text)),
        Format::Mermaid => mermaid::extract(ctx),
        Format::OpenApi => openapi::extract(ctx)?,
        Format::Compose => yaml::extract_compose(ctx)?,
        Format::Kubernetes => yaml::extract_kubernetes(ctx)?,
        Format::YamlConfig => yaml::extract_config(ctx)?,
        Format::JsonConfig => yaml::extract_json_config(ctx)?,
        Format::Terraform => terraform::extract(ctx)?,
        Format::PackageJson => manifests::package_json(ctx)?,
        Format::Requirements => manifests::requirements(ctx),
        Format::DotEnv => manifests::dotenv(ctx),
        Format::Sql => sql::extract(ctx),
        Format::Notebook => code::notebook(ctx)?,
        Format::Source => code::extract(ctx),
        Format::DrawIo => drawio::extract(ctx)?,
        Format::PlantUml => plantuml::extract(ctx),
        Format::Structurizr => structurizr::extract(ctx),
        Format::AsyncApi => asyncapi::extract(ctx)?,
        Format::DataDictionary => csv::extract(ctx)?,
        Format::Podfile => dependencies::podfile(ctx),
        Format::Gradle => dependencies::gradle(ctx),
        Format::Gemfile => dependencies::gemfile(ctx),
        Format::GoMod => dependencies::go_mod(ctx),
        Format::MavenPom => dependencies::pom(ctx)?,
    };
    Ok(facts)
}

/// Suffixes that name a deployable rather than what it is: `intake-svc` is `intake`.
const DEPLOYABLE_SUFFIXES: &[&str] =
    &["svc", "service", "api", "app", "server", "web", "backend", "deployment", "srv"];

/// Names a repository gives its own main deployable in compose files and manifests.
const GENERIC_ROLES: &[&str] = &["api", "app", "web", "server", "backend", "service", "main"];

/// The stem of a service name: its slug without deployable suffixes (`intake-service` and
/// `intake-svc` are both `intake`).
pub fn service_stem(name: &str) -> String {
    let mut parts: Vec<String> = crate::text::words(name).into_iter().map(|t| t.word).collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| DEPLOYABLE_SUFFIXES.contains(&p.as_str()))
    {
        parts.pop();
    }
    parts.join("-")
}

/// Entity resolution across artifact kinds, inside one repository: a compose service or
/// workload that *is* the repository's own service — the same stem (`intake-svc` in repo
/// `intake-service`) or a generic role name (`api` in repo `care-api`) — is declared an alias
/// of the component, with evidence saying why, so its flows and settings land on one entity.
pub fn resolve_to_component(facts: Vec<Fact>, component: &EntityRef) -> Vec<Fact> {
    let stem = service_stem(&component.name);
    let mut aliases = Vec::new();
    for fact in &facts {
        let Claim::Entity(e) = &fact.claim else { continue };
        let kind_fits = matches!(e.kind, EntityKind::Service | EntityKind::Unknown);
        if !kind_fits
            || e.vendor.is_some()
            || crate::text::slug(&e.name) == crate::text::slug(&component.name)
        {
            continue;
        }
        let generic = GENERIC_ROLES.contains(&crate::text::slug(&e.name).as_str());
        if generic || service_stem(&e.name) == stem {
            let mut evidence = fact.evidence.clone();
            let why = if generic { "a generic role name" } else { "the same service stem" };
            evidence.excerpt = format!(
                "{} is {} of repository {} ({why})",
                evidence.excerpt, component.name, component.name
            );
            let claim = Claim::Alias { name: e.name.clone(), of: component.clone() };
            aliases.push(Fact { claim, evidence });
        }
    }
    if aliases.is_empty() {
        return facts;
    }
    // Aliases first, so the declarations that follow already land on the component.
    aliases.extend(facts);
    aliases
}

#[cfg(test)]
mod resolution_tests {
    use super::*;

    fn declared(name: &str) -> Fact {
        let evidence = Evidence {
            artifact_id: "files:github/care-api/docker-compose.yml".into(),
            revision: "r".into(),
            path: "github/care-api/docker-compose.yml".into(),
            uri: None,
            line: Some(3),
            excerpt: format!("service {name}"),
            implementation: true,
            phi_from_context: false,
        };
        Fact { claim: Claim::Entity(EntityRef::new(name, EntityKind::Service)), evidence }
    }

    #[test]
    fn a_repositorys_own_service_is_one_entity_across_kinds() {
        assert_eq!(service_stem("intake-svc"), "intake");
        assert_eq!(service_stem("intake-service"), service_stem("Intake API"));
        let repo = EntityRef::new("care-api", EntityKind::Service);
        let facts = vec![declared("api"), declared("care-svc"), declared("db")];
        let out = resolve_to_component(facts, &repo);
        let aliases: Vec<&str> = out
            .iter()
            .filter_map(|f| match &f.claim {
                Claim::Alias { name, of } if of.name == "care-api" => Some(name.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(aliases, ["api", "care-svc"], "db is another service");
        assert!(out[0].evidence.excerpt.contains("generic role name"));
    }
}

/// The component an artifact belongs to: the repository folder for files under
/// `github/<repo>/` (anywhere in the path), else the system.
pub fn component_for(path: &str, system_name: &str) -> EntityRef {
    let parts: Vec<&str> = path.split('/').collect();
    let repo = parts.windows(3).find(|w| w[0] == "github").map(|w| w[1]);
    match repo {
        Some(r) => EntityRef::new(r, EntityKind::Service),
        None => EntityRef::new(system_name, EntityKind::Service),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phiflow_pipeline::Source;

    fn format_of(path: &str, text: &str) -> Result<Format, ExtractError> {
        let artifact = ArtifactEvent::new(Source::Files, path, "default", text.into());
        detect(&artifact, text)
    }

    #[test]
    fn diagram_dictionary_and_manifest_formats_are_detected() {
        let cases = [
            ("docs/flow.drawio", "<mxfile/>", Format::DrawIo),
            ("docs/flow.drawio.xml", "<?xml version=\"1.0\"?>\n<mxfile>", Format::DrawIo),
            ("docs/seq.puml", "@startuml", Format::PlantUml),
            ("docs/c4.iuml", "", Format::PlantUml),
            ("docs/workspace.dsl", "workspace {\n}", Format::Structurizr),
            ("api/events.yaml", "asyncapi: 3.0.0\n", Format::AsyncApi),
            ("api/events.json", "{\"asyncapi\": \"2.6.0\"}", Format::AsyncApi),
            ("drive/fields.csv", "field,phi", Format::DataDictionary),
            ("ios/Podfile", "", Format::Podfile),
            ("app/build.gradle.kts", "", Format::Gradle),
            ("Gemfile", "", Format::Gemfile),
            ("svc/go.mod", "module x", Format::GoMod),
            ("svc/pom.xml", "<project/>", Format::MavenPom),
        ];
        for (path, text, want) in cases {
            assert_eq!(format_of(path, text).ok(), Some(want), "{path}");
        }
        for (path, text) in [("proxy/default.xml", "<ProxyEndpoint/>"), ("x.dsl", "rule a {}")] {
            assert!(matches!(format_of(path, text), Err(ExtractError::Unsupported(_))), "{path}");
        }
    }
}

/// What extractor tests share: a context for an inline artifact.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{Ctx, Format};
    use crate::catalog::Catalog;
    use crate::model::{EntityKind, EntityRef};
    use phiflow_pipeline::{ArtifactEvent, Source};

    /// Run `f` with a context for `text` read as the artifact at `path`, in component `repo`.
    pub(crate) fn with_ctx<T>(
        catalog: &Catalog,
        path: &str,
        format: Format,
        text: &str,
        f: impl FnOnce(&Ctx) -> T,
    ) -> T {
        let artifact = ArtifactEvent::new(Source::Files, path, "default", text.to_string());
        let ctx = Ctx {
            catalog,
            artifact: &artifact,
            text,
            format,
            component: EntityRef::new("repo", EntityKind::Service),
        };
        f(&ctx)
    }
}
