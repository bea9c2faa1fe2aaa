//! Dependency manifests and environment files: which vendor SDKs a component ships
//! (`package.json`, `requirements*.txt`), which vendors and endpoints its environment
//! configures (`.env`, `.env.example`, …), and production databases wired into notebooks,
//! experiments and local setups.
//!
//! A vendor SDK or a vendor setting is a flow from the component to the vendor with no PHI of
//! its own: what the component sends comes from other artifacts (its code, its design). Values
//! of environment files are never quoted: they may be secrets.

use serde_json::Value;

use super::yaml::{plaintext_url, prose_facts, vendor_entity, Facts, Note};
use super::{Ctx, ExtractError, Format};
use crate::model::{Attr, Claim, EntityRef, Fact, Target};
use crate::text::words;

/// The dependency sections of `package.json` that ship or run code.
const NPM_SECTIONS: &[&str] = &["dependencies", "devDependencies", "optionalDependencies"];

/// `package.json`: every dependency that is a vendor SDK.
pub fn package_json(ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    let root: Value = serde_json::from_str(ctx.text)
        .map_err(|e| ExtractError::malformed(Format::PackageJson, e))?;
    let mut out = Facts::default();
    for section in NPM_SECTIONS {
        let Some(deps) = root.get(*section).and_then(Value::as_object) else { continue };
        let section_line = crate::text::find_line(ctx.text, &format!("\"{section}\""), 1);
        for name in deps.keys() {
            let line =
                crate::text::find_line(ctx.text, &format!("\"{name}\""), section_line.unwrap_or(1));
            sdk(ctx, &mut out, name, line);
        }
    }
    Ok(out.finish())
}

/// `requirements*.txt`: every requirement that is a vendor SDK; comments are prose.
pub fn requirements(ctx: &Ctx) -> Vec<Fact> {
    let mut out = Facts::default();
    let mut notes = Vec::new();
    for (i, raw) in ctx.text.lines().enumerate() {
        let line = i as u32 + 1;
        let (code, comment) = split_comment(raw);
        if let Some(c) = comment {
            notes.push(Note { line, text: c.to_string(), own_line: code.trim().is_empty() });
        }
        if let Some(name) = requirement_name(code) {
            sdk(ctx, &mut out, &name, Some(line));
        }
    }
    out.extend(prose_facts(ctx, &notes));
    out.finish()
}

/// `.env` files: vendor settings, plaintext endpoints and production databases in non-production
/// files; comments are prose.
pub fn dotenv(ctx: &Ctx) -> Vec<Fact> {
    let mut out = Facts::default();
    let mut notes = Vec::new();
    let non_prod = is_non_prod_path(&ctx.artifact.path);
    for (i, raw) in ctx.text.lines().enumerate() {
        let line = Some(i as u32 + 1);
        let trimmed = raw.trim();
        if let Some(comment) = trimmed.strip_prefix('#') {
            let text = comment.trim_start_matches('#').trim();
            if !text.is_empty() {
                notes.push(Note { line: i as u32 + 1, text: text.to_string(), own_line: true });
            }
            continue;
        }
        let Some((key, value)) = trimmed.trim_start_matches("export ").split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let (value, comment) = env_value(value);
        if let Some(c) = comment {
            notes.push(Note { line: i as u32 + 1, text: c.to_string(), own_line: false });
        }
        let excerpt = format!("{key}=");
        if let Some(v) = ctx.catalog.vendor_by_env(key) {
            let vendor = vendor_entity(ctx, v);
            out.push(Claim::Entity(vendor.clone()), ctx.evidence(line, &excerpt));
            out.push_once(flow(ctx, vendor), ctx.evidence(line, &excerpt));
        }
        if is_address_key(key) {
            plaintext_url(ctx, &mut out, value, line, key);
        }
        if non_prod && is_prod_database(key, value) {
            let claim = Claim::Attr {
                subject: Target::Known(ctx.component.clone()),
                attr: Attr::ProdCopyInNonProd,
                data: Vec::new(),
            };
            let what = format!("{excerpt} (a production database in a non-production file)");
            out.push(claim, ctx.evidence(line, &what));
        }
    }
    out.extend(prose_facts(ctx, &notes));
    out.finish()
}

/// A dependency that is a vendor SDK: the vendor, and a flow from the component to it.
fn sdk(ctx: &Ctx, out: &mut Facts, package: &str, line: Option<u32>) {
    let vendor = ctx
        .catalog
        .vendor_by_package(package)
        .or_else(|| ctx.catalog.vendor_by_package(&normalize_pypi(package)));
    if let Some(v) = vendor {
        sdk_of(ctx, out, v, package, line);
    }
}

/// The vendor `vendor`, whose SDK `package` is, and a flow from the component to it.
pub(super) fn sdk_of(ctx: &Ctx, out: &mut Facts, vendor: usize, package: &str, line: Option<u32>) {
    let vendor = vendor_entity(ctx, vendor);
    let ev = ctx.evidence(line, &format!("dependency {package}"));
    out.push(Claim::Entity(vendor.clone()), ev.clone());
    out.push(flow(ctx, vendor), ev);
}

fn flow(ctx: &Ctx, vendor: EntityRef) -> Claim {
    Claim::Flow {
        from: Target::Known(ctx.component.clone()),
        to: Target::Known(vendor),
        data: Vec::new(),
        full_record: false,
    }
}

/// PyPI treats `-`, `_` and `.` alike and ignores case.
fn normalize_pypi(name: &str) -> String {
    name.to_lowercase().replace(['_', '.'], "-")
}

/// The code and the comment of a requirements line. A `#` starts a comment at the line start
/// or after whitespace (a URL fragment such as `#egg=` does not).
pub(super) fn split_comment(line: &str) -> (&str, Option<&str>) {
    let at = line
        .char_indices()
        .find(|&(i, c)| c == '#' && (i == 0 || line[..i].ends_with(char::is_whitespace)))
        .map(|(i, _)| i);
    match at {
        Some(i) => (&line[..i], Some(line[i + 1..].trim()).filter(|c| !c.is_empty())),
        None => (line, None),
    }
}

/// The project name of a requirement: `uvicorn[standard]==0.32.0` → `uvicorn`. Options
/// (`-r other.txt`, `--index-url`), editable installs and direct URLs without a name give none.
fn requirement_name(code: &str) -> Option<String> {
    let code = code.trim();
    if code.is_empty() || code.starts_with('-') || code.contains("://") && !code.contains(" @ ") {
        return None;
    }
    let end = code.find(['[', '<', '>', '=', '!', '~', ';', '@', ' ', '(']).unwrap_or(code.len());
    let name = code[..end].trim();
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    valid.then(|| name.to_string())
}

/// An `.env` value without its quotes, and a trailing comment after an unquoted value or the
/// closing quote.
fn env_value(raw: &str) -> (&str, Option<&str>) {
    let raw = raw.trim();
    for q in ['"', '\''] {
        if let Some(rest) = raw.strip_prefix(q) {
            if let Some(end) = rest.find(q) {
                let comment = rest[end + 1..].trim().strip_prefix('#').map(str::trim);
                return (&rest[..end], comment.filter(|c| !c.is_empty()));
            }
        }
    }
    match raw.find(" #") {
        Some(at) => (raw[..at].trim(), Some(raw[at + 2..].trim()).filter(|c| !c.is_empty())),
        None => (raw, None),
    }
}

/// Keys whose values are addresses.
fn is_address_key(key: &str) -> bool {
    let k = key.to_uppercase();
    ["URL", "URI", "ENDPOINT", "CALLBACK", "WEBHOOK", "HOST", "BASE"].iter().any(|w| k.contains(w))
}

/// Files that configure a place other than production: examples, local and development
/// setups, notebooks and experiments.
fn is_non_prod_path(path: &str) -> bool {
    let p = path.to_lowercase();
    let name = p.rsplit('/').next().unwrap_or(&p);
    let non_prod_name =
        [".env.example", ".env.sample", ".env.local", ".env.development", ".env.dev", ".env.test"]
            .iter()
            .any(|n| name.starts_with(n));
    let non_prod_dir = words(&p).iter().any(|t| {
        matches!(
            t.word.as_str(),
            "experiments"
                | "experiment"
                | "notebooks"
                | "notebook"
                | "dev"
                | "local"
                | "sandbox"
                | "scratch"
        )
    });
    non_prod_name || non_prod_dir
}

/// A database connection setting that names production: `NOTES_REPLICA_DSN`,
/// `DATABASE_URL=postgres://…prod…`.
fn is_prod_database(key: &str, value: &str) -> bool {
    let key_words: Vec<String> = words(key).into_iter().map(|t| t.word).collect();
    let is_db_key = key_words.iter().any(|w| matches!(w.as_str(), "dsn" | "db" | "database"))
        || (key_words.iter().any(|w| w == "url") && key_words.iter().any(|w| w.contains("db")));
    let scheme = value.split("://").next().unwrap_or("").to_lowercase();
    let is_db_value = value.contains("://")
        && [
            "postgres",
            "postgresql",
            "mysql",
            "mariadb",
            "mongodb",
            "mongodb+srv",
            "sqlserver",
            "redis",
        ]
        .contains(&scheme.as_str());
    if !is_db_key && !is_db_value {
        return false;
    }
    let names_prod = |text: &str| {
        words(text)
            .iter()
            .any(|t| matches!(t.word.as_str(), "prod" | "production" | "replica" | "live"))
    };
    names_prod(key) || names_prod(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::yaml::tests::{attrs, flows};
    use crate::model::EntityKind;
    use phiflow_pipeline::{ArtifactEvent, Source};

    fn run(path: &str, format: Format, text: &str) -> Vec<Fact> {
        let catalog = crate::catalog::Catalog::builtin();
        crate::extract::test_support::with_ctx(&catalog, path, format, text, |ctx| match format {
            Format::PackageJson => package_json(ctx).expect("parses"),
            Format::Requirements => requirements(ctx),
            _ => dotenv(ctx),
        })
    }

    #[test]
    fn package_json_vendor_sdks_are_flows_at_their_line() {
        let text = r#"{
  "name": "portal",
  "dependencies": {
    "react": "^19.0.0",
    "@fullstory/browser": "^2.1.1"
  },
  "devDependencies": {
    "@sentry/node": "^8"
  }
}
"#;
        let facts = run("web/package.json", Format::PackageJson, text);
        assert_eq!(
            flows(&facts),
            [
                ("repo".to_string(), "FullStory".to_string(), Some(5)),
                ("repo".to_string(), "Sentry".to_string(), Some(8)),
            ]
        );
    }

    #[test]
    fn malformed_package_json_is_an_error() {
        let catalog = crate::catalog::Catalog::builtin();
        let artifact =
            ArtifactEvent::new(Source::Files, "package.json", "default", "{\"a\":".into());
        let ctx = Ctx {
            catalog: &catalog,
            artifact: &artifact,
            text: "{\"a\":",
            format: Format::PackageJson,
            component: EntityRef::new("repo", EntityKind::Service),
        };
        assert!(matches!(package_json(&ctx), Err(ExtractError::Malformed { .. })));
    }

    #[test]
    fn requirements_strip_versions_extras_and_options() {
        let text = r#"-r base.txt
--index-url https://pypi.example/simple
uvicorn[standard]==0.32.0
OpenAI>=1.54 ; python_version > "3.9"  # prototype only
snowflake_connector_python==3.1
"#;
        let facts = run("requirements.txt", Format::Requirements, text);
        assert_eq!(
            flows(&facts),
            [
                ("repo".to_string(), "OpenAI".to_string(), Some(4)),
                ("repo".to_string(), "Snowflake".to_string(), Some(5)),
            ]
        );
    }

    #[test]
    fn dotenv_vendor_keys_plaintext_and_prod_replica_in_an_example_file() {
        let text = r#"# FullStory org id
VITE_FULLSTORY_ORG_ID=o-123
RESULTS_WEBHOOK_URL="http://results.partner.example/in" # temporary
NOTES_REPLICA_DSN=
NOTES_DB_URL=postgresql://svc@notes-db.acme.internal:5432/notes
"#;
        let facts = run("app/.env.example", Format::DotEnv, text);
        assert_eq!(flows(&facts), [("repo".to_string(), "FullStory".to_string(), Some(2))]);
        assert!(facts.iter().all(|f| !f.evidence.excerpt.contains("o-123")), "{facts:#?}");
        assert_eq!(attrs(&facts, "results", &Attr::Plaintext), [(Some(3), vec![])]);
        assert_eq!(attrs(&facts, "repo", &Attr::ProdCopyInNonProd), [(Some(4), vec![])]);
    }

    #[test]
    fn production_env_file_is_not_a_prod_copy() {
        let text = "DATABASE_URL=postgres://app@db.prod.acme.example/app\n";
        let facts = run("deploy/.env.production", Format::DotEnv, text);
        assert!(attrs(&facts, "repo", &Attr::ProdCopyInNonProd).is_empty());
        let facts = run("notebooks/.env", Format::DotEnv, text);
        assert_eq!(attrs(&facts, "repo", &Attr::ProdCopyInNonProd), [(Some(1), vec![])]);
    }
}
