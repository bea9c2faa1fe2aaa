//! Dependency manifests beyond npm and PyPI (those are in [`super::manifests`]): CocoaPods
//! `Podfile`, Gradle `build.gradle` and `build.gradle.kts`, Bundler `Gemfile`, Go `go.mod`
//! and Maven `pom.xml`. Each dependency that is a vendor SDK is a flow from the component to
//! the vendor, as for `package.json`; comments are prose.
//!
//! Names are matched against the catalog's `packages` as written (`Sentry`, `sentry-ruby`,
//! `io.sentry:sentry-android`, `github.com/getsentry/sentry-go`), then by their roots: a pod's
//! name before its subspec (`Firebase/Analytics` → `Firebase`), a Maven artifact's group and
//! the group's parents (`io.sentry.android.gradle` → `io.sentry`), a Go module without its
//! major version suffix and its parent paths (`github.com/aws/aws-sdk-go-v2/service/s3`).
//!
//! Dependencies that only tests or development use (Gradle `test…` configurations, Maven
//! `test` scope, Gemfile `:test` and `:development` groups, Go `// indirect` requirements) are
//! not flows: they never reach production.

use std::sync::OnceLock;

use quick_xml::events::Event;
use quick_xml::Reader;
use regex::Regex;

use super::manifests::{sdk_of, split_comment};
use super::yaml::{prose_facts, Facts, Note};
use super::{Ctx, ExtractError, Format};
use crate::model::Fact;
use crate::text::line_of_offset;

struct Patterns {
    pod: Regex,
    gem: Regex,
    gradle_dep: Regex,
    gradle_map: Regex,
    gradle_plugin: Regex,
    pom_dependency: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("dependency pattern");
        Patterns {
            pod: re(r#"^\s*pod\s+['"]([^'"]+)['"]"#),
            gem: re(r#"^\s*gem\s+['"]([^'"]+)['"](.*)$"#),
            gradle_dep: re(concat!(
                r#"^\s*([A-Za-z]+)\s*\(?\s*(?:(?:enforced)?[pP]latform\s*\(\s*)?"#,
                r#"['"]([^'"\s:]+):([^'"\s:]+)(?::[^'"]*)?['"]"#,
            )),
            gradle_map: re(concat!(
                r#"^\s*([A-Za-z]+)\s*\(?\s*group\s*[:=]\s*['"]([^'"]+)['"]\s*,"#,
                r#"\s*name\s*[:=]\s*['"]([^'"]+)['"]"#,
            )),
            gradle_plugin: re(concat!(
                r#"^\s*(?:id\s*\(?\s*['"]([\w.\-]+)['"]"#,
                r#"|apply\s*\(?\s*plugin\s*[:=]\s*['"]([\w.\-]+)['"])"#,
            )),
            pom_dependency: re(r"(?s)<(dependency|plugin)>(.*?)</(?:dependency|plugin)>"),
        }
    })
}

/// The first catalog vendor any of `names` is an SDK of.
fn vendor_of(ctx: &Ctx, names: &[String]) -> Option<usize> {
    names.iter().find_map(|n| ctx.catalog.vendor_by_package(n))
}

/// A dotted name and its parents down to two segments: `a.b.c` → `a.b.c`, `a.b`.
fn dotted_roots(name: &str) -> Vec<String> {
    let parts: Vec<&str> = name.split('.').collect();
    (2..=parts.len()).rev().map(|n| parts[..n].join(".")).collect()
}

/// `Podfile`: `pod 'Name'`, `pod 'Name/Subspec', '~> 1.0'`.
pub fn podfile(ctx: &Ctx) -> Vec<Fact> {
    let mut out = Facts::default();
    let mut notes = Vec::new();
    for (i, raw) in ctx.text.lines().enumerate() {
        let line = i as u32 + 1;
        let (code, comment) = split_comment(raw);
        push_comment(&mut notes, line, code, comment);
        let Some(c) = patterns().pod.captures(code) else { continue };
        let name = &c[1];
        let root = name.split('/').next().unwrap_or(name);
        if let Some(v) = vendor_of(ctx, &[name.to_string(), root.to_string()]) {
            sdk_of(ctx, &mut out, v, name, Some(line));
        }
    }
    out.extend(prose_facts(ctx, &notes));
    out.finish()
}

fn push_comment(notes: &mut Vec<Note>, line: u32, code: &str, comment: Option<&str>) {
    if let Some(text) = comment {
        notes.push(Note { line, text: text.to_string(), own_line: code.trim().is_empty() });
    }
}

/// `Gemfile`: `gem 'name'`, outside development and test groups.
pub fn gemfile(ctx: &Ctx) -> Vec<Fact> {
    let mut out = Facts::default();
    let mut notes = Vec::new();
    // Open `do … end` and `if … end` blocks: whether each is a development or test group.
    let mut blocks: Vec<bool> = Vec::new();
    for (i, raw) in ctx.text.lines().enumerate() {
        let line = i as u32 + 1;
        let (code, comment) = split_comment(raw);
        push_comment(&mut notes, line, code, comment);
        let code = code.trim();
        let first = code.split_whitespace().next().unwrap_or("");
        if code == "end" {
            blocks.pop();
        } else if code.ends_with(" do") || code.contains(" do |") {
            blocks.push(first == "group" && only_dev_or_test(code));
        } else if matches!(first, "if" | "unless" | "case" | "begin") {
            blocks.push(false);
        }
        let Some(c) = patterns().gem.captures(code) else { continue };
        let dev_only =
            blocks.iter().any(|&b| b) || c[2].contains("group") && only_dev_or_test(&c[2]);
        if dev_only {
            continue;
        }
        if let Some(v) = vendor_of(ctx, &[c[1].to_string()]) {
            sdk_of(ctx, &mut out, v, &c[1], Some(line));
        }
    }
    out.extend(prose_facts(ctx, &notes));
    out.finish()
}

/// A group list (`group :development, :test do`, `group: :test`) naming only development
/// and test.
fn only_dev_or_test(text: &str) -> bool {
    let groups: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter_map(|t| t.strip_prefix(':'))
        .collect();
    !groups.is_empty() && groups.iter().all(|g| matches!(*g, "test" | "development"))
}

/// `build.gradle` and `build.gradle.kts`: `implementation "group:artifact:version"`,
/// `implementation("…")`, `implementation group: '…', name: '…'`, and plugins by id.
pub fn gradle(ctx: &Ctx) -> Vec<Fact> {
    let p = patterns();
    let mut out = Facts::default();
    let mut notes = Vec::new();
    for (i, raw) in ctx.text.lines().enumerate() {
        let line = i as u32 + 1;
        let (code, comment) = match raw.find("//").filter(|&at| !raw[..at].ends_with(':')) {
            Some(at) => (&raw[..at], Some(raw[at + 2..].trim()).filter(|c| !c.is_empty())),
            None => (raw, None),
        };
        push_comment(&mut notes, line, code, comment);
        let coordinate = p.gradle_dep.captures(code).or_else(|| p.gradle_map.captures(code));
        if let Some(c) = coordinate.filter(|c| !is_test_configuration(&c[1])) {
            let (group, artifact) = (&c[2], &c[3]);
            maven(ctx, &mut out, group, artifact, Some(line));
        } else if let Some(c) = p.gradle_plugin.captures(code) {
            let id = c.get(1).or(c.get(2)).map_or("", |m| m.as_str());
            if let Some(v) = vendor_of(ctx, &dotted_roots(id)) {
                sdk_of(ctx, &mut out, v, id, Some(line));
            }
        }
    }
    out.extend(prose_facts(ctx, &notes));
    out.finish()
}

fn is_test_configuration(configuration: &str) -> bool {
    let c = configuration.to_lowercase();
    c.starts_with("test") || c.starts_with("androidtest")
}

/// A Maven coordinate: `group:artifact`, then the group and its parents.
fn maven(ctx: &Ctx, out: &mut Facts, group: &str, artifact: &str, line: Option<u32>) {
    let coordinate = format!("{group}:{artifact}");
    let mut names = vec![coordinate.clone()];
    names.extend(dotted_roots(group));
    if let Some(v) = vendor_of(ctx, &names) {
        sdk_of(ctx, out, v, &coordinate, line);
    }
}

/// `go.mod`: `require path version` lines and blocks; `// indirect` ones are skipped.
pub fn go_mod(ctx: &Ctx) -> Vec<Fact> {
    let mut out = Facts::default();
    let mut in_block = false;
    for (i, raw) in ctx.text.lines().enumerate() {
        let line = i as u32 + 1;
        let (code, comment) = raw.split_once("//").map_or((raw, ""), |(c, k)| (c, k.trim()));
        let code = code.trim();
        let spec = if in_block {
            in_block = code != ")";
            Some(code).filter(|_| in_block)
        } else if code == "require (" || code == "require(" {
            in_block = true;
            None
        } else {
            code.strip_prefix("require ").map(str::trim)
        };
        let Some(path) = spec.and_then(|s| s.split_whitespace().next()) else { continue };
        if comment == "indirect" {
            continue;
        }
        if let Some(v) = vendor_of(ctx, &go_roots(path)) {
            sdk_of(ctx, &mut out, v, path, Some(line));
        }
    }
    out.finish()
}

/// A Go module path, without its major version suffix, then its parent paths.
fn go_roots(path: &str) -> Vec<String> {
    let is_major = |p: &str| p.len() > 1 && p.starts_with('v') && p[1..].parse::<u32>().is_ok();
    let mut parts: Vec<&str> = path.split('/').collect();
    let mut out = vec![path.to_string()];
    if parts.len() > 2 && parts.last().is_some_and(|p| is_major(p)) {
        parts.pop();
        out.push(parts.join("/"));
    }
    while parts.len() > 2 {
        parts.pop();
        out.push(parts.join("/"));
    }
    out
}

/// `pom.xml`: `<dependency>` and `<plugin>` coordinates, outside the `test` scope.
pub fn pom(ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    check_xml(ctx.text)?;
    let mut out = Facts::default();
    for c in patterns().pom_dependency.captures_iter(ctx.text) {
        let body = &c[2];
        let (Some(group), Some(artifact)) = (tag(body, "groupId"), tag(body, "artifactId")) else {
            continue;
        };
        if tag(body, "scope").as_deref() == Some("test") {
            continue;
        }
        let at = c.get(2).map_or(0, |m| m.start()) + body.find("<artifactId>").unwrap_or(0);
        let line = line_of_offset(ctx.text, at);
        maven(ctx, &mut out, &group, &artifact, Some(line));
    }
    Ok(out.finish())
}

/// The text of the first `<name>…</name>` in `body`.
fn tag(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find("</")? + start;
    Some(body[start..end].trim().to_string()).filter(|t| !t.is_empty())
}

/// A POM must be well-formed XML.
fn check_xml(text: &str) -> Result<(), ExtractError> {
    let mut reader = Reader::from_str(text);
    let mut depth = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| {
            let line = line_of_offset(text, reader.error_position() as usize);
            ExtractError::malformed(Format::MavenPom, format!("line {line}: {e}"))
        })?;
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof if depth > 0 => {
                return Err(ExtractError::malformed(Format::MavenPom, "unclosed elements"));
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::diagram::tests::run;
    use crate::extract::yaml::tests::flows;

    fn vendors(path: &str, format: Format, text: &str) -> Vec<(String, Option<u32>)> {
        let extract: fn(&Ctx) -> Result<Vec<Fact>, ExtractError> = match format {
            Format::Podfile => |c| Ok(podfile(c)),
            Format::Gemfile => |c| Ok(gemfile(c)),
            Format::Gradle => |c| Ok(gradle(c)),
            Format::GoMod => |c| Ok(go_mod(c)),
            _ => pom,
        };
        let facts = run(path, format, text, extract).unwrap();
        flows(&facts).into_iter().map(|(_, to, line)| (to, line)).collect()
    }

    fn v(name: &str, line: u32) -> (String, Option<u32>) {
        (name.to_string(), Some(line))
    }

    #[test]
    fn podfile_pods_and_subspecs() {
        let text = r#"platform :ios, '15.0'
target 'App' do
  pod 'Sentry', '~> 8.0'
  pod 'Firebase/Analytics'
  pod 'Alamofire'
  pod "Mixpanel-swift" # funnels
end
"#;
        assert_eq!(
            vendors("ios/Podfile", Format::Podfile, text),
            [v("Sentry", 3), v("Firebase", 4), v("Mixpanel", 6)]
        );
    }

    #[test]
    fn gradle_groovy_and_kotlin_forms() {
        let text = r#"plugins {
    id 'com.android.application'
    id("io.sentry.android.gradle") version "4.0.0"
}
dependencies {
    implementation "com.mixpanel.android:mixpanel-android:7.+"
    implementation("com.fullstory:instrumentation-full:1.40.0")
    implementation platform('com.google.firebase:firebase-bom:32.0.0')
    api group: 'com.amplitude', name: 'analytics-android', version: '1.+'
    testImplementation "io.sentry:sentry-android:7.0.0"
    implementation "androidx.core:core-ktx:1.12.0" // https://developer.android.com
}
"#;
        assert_eq!(
            vendors("app/build.gradle", Format::Gradle, text),
            [
                v("Sentry", 3),
                v("Mixpanel", 6),
                v("FullStory", 7),
                v("Firebase", 8),
                v("Amplitude", 9)
            ]
        );
    }

    #[test]
    fn gemfile_skips_development_and_test_groups() {
        let text = r#"source 'https://rubygems.org'
gem 'rails', '~> 7.1'
gem "sentry-ruby"
gem 'twilio-ruby', require: false
group :development, :test do
  gem 'rollbar'
end
gem 'newrelic_rpm', group: :production
gem 'bugsnag', group: :test
"#;
        assert_eq!(
            vendors("Gemfile", Format::Gemfile, text),
            [v("Sentry", 3), v("Twilio", 4), v("New Relic", 8)]
        );
    }

    #[test]
    fn go_mod_require_lines_blocks_and_major_versions() {
        let text = "module example.com/portal

go 1.22

require github.com/getsentry/sentry-go v0.27.0

require (
\tgithub.com/newrelic/go-agent/v3 v3.30.0
\tgithub.com/aws/aws-sdk-go-v2/service/s3 v1.50.0
\tgithub.com/segmentio/analytics-go/v3 v3.3.0 // indirect
\tgolang.org/x/net v0.20.0
)
";
        assert_eq!(
            vendors("go.mod", Format::GoMod, text),
            [v("Sentry", 5), v("New Relic", 8), v("AWS", 9)]
        );
    }

    #[test]
    fn pom_dependencies_outside_test_scope() {
        let text = r#"<project>
  <dependencies>
    <dependency>
      <groupId>io.sentry</groupId>
      <artifactId>sentry-spring-boot-starter</artifactId>
    </dependency>
    <dependency>
      <groupId>com.twilio.sdk</groupId>
      <artifactId>twilio</artifactId>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>com.datadoghq</groupId>
      <artifactId>dd-trace-api</artifactId>
    </dependency>
  </dependencies>
</project>
"#;
        assert_eq!(vendors("pom.xml", Format::MavenPom, text), [v("Sentry", 5), v("Datadog", 14)]);
        let err = run("pom.xml", Format::MavenPom, "<project><dependencies>", pom);
        assert!(matches!(err, Err(ExtractError::Malformed { .. })));
    }

    #[test]
    fn go_roots_drop_versions_and_walk_up() {
        assert_eq!(
            go_roots("github.com/newrelic/go-agent/v3"),
            [
                "github.com/newrelic/go-agent/v3",
                "github.com/newrelic/go-agent",
                "github.com/newrelic"
            ]
        );
    }
}
