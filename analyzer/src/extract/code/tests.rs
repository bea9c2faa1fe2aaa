use super::*;
use crate::catalog::Catalog;
use crate::model::{Attr, Claim, EntityKind, EntityRef, Target};
use phiflow_pipeline::{ArtifactEvent, Source};

fn run(path: &str, text: &str, nb: bool) -> Vec<Fact> {
    let catalog = Catalog::builtin();
    let artifact = ArtifactEvent::new(Source::Files, path, "default", text.to_string());
    let format = if nb { Format::Notebook } else { Format::Source };
    let ctx = Ctx {
        catalog: &catalog,
        artifact: &artifact,
        text,
        format,
        component: EntityRef::new("portal", EntityKind::Service),
    };
    if nb {
        notebook(&ctx).unwrap()
    } else {
        extract(&ctx)
    }
}

/// Flows as (vendor, data names, line).
fn flows(facts: &[Fact]) -> Vec<(String, Vec<String>, Option<u32>)> {
    facts
        .iter()
        .filter_map(|f| match &f.claim {
            Claim::Flow { to: Target::Known(e), data, .. } => Some((
                e.name.clone(),
                data.iter().map(|d| d.name.clone()).collect(),
                f.evidence.line,
            )),
            _ => None,
        })
        .collect()
}

fn logs_phi_lines(facts: &[Fact]) -> Vec<Option<u32>> {
    facts
        .iter()
        .filter(|f| matches!(f.claim, Claim::Attr { attr: Attr::LogsPhi, .. }))
        .map(|f| f.evidence.line)
        .collect()
}

/// One vendor flow whose data is exactly what the PHI-passing call names, cited at its line.
fn assert_only_passed(path: &str, src: &str, vendor: &str, line: u32, want: &[&str]) {
    let got = flows(&run(path, src, false));
    let flow = got.iter().find(|(n, ..)| n == vendor);
    let Some((_, data, at)) = flow else { panic!("no {vendor} flow in {got:?}") };
    assert_eq!(*at, Some(line), "{got:?}");
    let mut data = data.clone();
    data.sort();
    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(data, want, "{got:?}");
}

#[test]
fn sdk_import_with_patient_fields_is_a_phi_flow_cited_at_the_call() {
    let src = "import { init, FullStory } from '@fullstory/browser';\n\nexport function start(patient: Patient) {\n  init({ orgId });\n  FullStory('setIdentity', { uid: patient.id, email: patient.email, mrn: patient.mrn });\n}\n";
    let flows = flows(&run("src/fs.ts", src, false));
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0].0, "FullStory");
    assert!(flows[0].1.len() >= 2);
    assert_eq!(flows[0].2, Some(5));
}

#[test]
fn typescript_flow_carries_only_the_tracked_call_arguments() {
    let src = "import mixpanel from 'mixpanel-browser';\n// mixpanel.track('x', {ssn})\nconst dob = patient.dateOfBirth;\nmixpanel.init(token);\nmixpanel.track('Visit', { diagnosis: visit.diagnosis });\nmixpanel.track('Click', { button: 'save' });\n";
    assert_only_passed("src/a.ts", src, "Mixpanel", 5, &["diagnosis"]);
}

#[test]
fn tsx_and_javascript_calls_are_read_from_their_arguments() {
    let tsx = "import * as Sentry from '@sentry/react';\nexport const App = () => <div/>;\nSentry.init({ dsn: DSN });\nSentry.setUser({ email: patient.email, mrn: patient.mrn });\n";
    assert_only_passed("src/App.tsx", tsx, "Sentry", 4, &["email", "mrn", "patient email"]);
    let js = "const Sentry = require('@sentry/node');\nSentry.init({ dsn });\nconst dob = patient.dob;\nSentry.setContext('visit', { diagnosis: v.diagnosis });\n";
    assert_only_passed("src/a.js", js, "Sentry", 4, &["diagnosis"]);
}

#[test]
fn python_client_built_from_the_sdk_carries_its_call_arguments() {
    let src = "from openai import OpenAI\n\nclient = OpenAI()\nssn = patient.ssn\nclient.models.list(limit=5)\nclient.chat.completions.create(model='gpt', messages=[{'content': note.diagnosis}])\n";
    assert_only_passed("app/llm.py", src, "OpenAI", 6, &["diagnosis"]);
}

#[test]
fn java_sdk_calls_are_read_from_their_arguments() {
    let src = "import io.sentry.Sentry;\n\nclass A {\n  void f(Patient patient) {\n    String mrn = patient.getMrn();\n    Sentry.init(o -> o.setDsn(DSN));\n    Sentry.setExtra(\"diagnosis\", patient.diagnosis);\n  }\n}\n";
    assert_only_passed("src/A.java", src, "Sentry", 7, &["diagnosis"]);
}

#[test]
fn go_sdk_calls_are_read_from_their_arguments() {
    let src = "package main\n\nimport (\n\t\"github.com/getsentry/sentry-go\"\n)\n\nfunc f(p Patient) {\n\tmrn := p.MRN\n\tsentry.Init(sentry.ClientOptions{Dsn: dsn})\n\tsentry.CaptureMessage(p.Diagnosis)\n}\n";
    assert_only_passed("main.go", src, "Sentry", 10, &["diagnosis"]);
}

#[test]
fn ruby_sdk_calls_are_read_from_their_arguments() {
    let src = "require 'mixpanel-ruby'\n\ntracker = Mixpanel::Tracker.new(TOKEN)\nssn = patient.ssn\ntracker.track(user.id, 'Login')\ntracker.track(user.id, 'Visit', { 'diagnosis' => visit.diagnosis })\n";
    assert_only_passed("app/track.rb", src, "Mixpanel", 6, &["diagnosis"]);
}

#[test]
fn csharp_sdk_calls_are_read_from_their_arguments() {
    let src = "using Sentry;\n\nclass A {\n  void F(Patient patient) {\n    var mrn = patient.Mrn;\n    SentrySdk.Init(o => o.Dsn = Dsn);\n    SentrySdk.CaptureMessage(patient.Diagnosis);\n  }\n}\n";
    assert_only_passed("A.cs", src, "Sentry", 7, &["diagnosis"]);
}

#[test]
fn kotlin_sdk_calls_are_read_from_their_arguments() {
    let src = "import io.sentry.Sentry\n\nfun f(patient: Patient) {\n    val mrn = patient.mrn\n    Sentry.init { it.dsn = DSN }\n    Sentry.setExtra(\"diagnosis\", patient.diagnosis)\n}\n";
    assert_only_passed("A.kt", src, "Sentry", 6, &["diagnosis"]);
}

#[test]
fn logging_a_request_body_in_a_patient_file_is_phi_in_logs() {
    let src = "def intake(request):\n    patient = request.json\n    logger.info('intake %s', request.json)\n    return save(patient.date_of_birth)\n";
    assert_eq!(logs_phi_lines(&run("app/intake.py", src, false)), vec![Some(3)]);
}

#[test]
fn logging_req_body_in_express_is_phi_in_logs_but_other_logs_are_not() {
    let src = "app.post('/intake', async (req, res) => {\n  console.log('started');\n  console.log('intake', req.body);\n  await save(req.body.patient.dateOfBirth, req.body.mrn);\n});\n";
    assert_eq!(logs_phi_lines(&run("src/intake.js", src, false)), vec![Some(3)]);
}

#[test]
fn a_file_with_a_syntax_error_still_yields_its_vendor_import() {
    let src = "import * as Sentry from '@sentry/node';\n\nfunction broken( {\n  Sentry.setUser({ email: patient.email\n";
    let got = flows(&run("src/broken.ts", src, false));
    assert!(got.iter().any(|(n, ..)| n == "Sentry"), "{got:?}");
}

#[test]
fn comments_are_not_calls() {
    let src = "import * as Sentry from '@sentry/node';\n// Sentry.setUser({ email: patient.email, mrn: patient.mrn })\nSentry.init({ dsn });\n";
    assert_eq!(flows(&run("src/a.ts", src, false)), vec![("Sentry".into(), vec![], Some(3))]);
}

#[test]
fn plaintext_urls_to_outside_hosts_in_phi_files_are_flagged() {
    let src = "const mrn = patient.mrn;\n// http://old.example.org\nfetch('http://labs.partner.com/results', { method: 'POST' });\nfetch('http://intake.svc/x');\n";
    let lines: Vec<_> = run("src/a.js", src, false)
        .into_iter()
        .filter(|f| matches!(f.claim, Claim::Attr { attr: Attr::Plaintext, .. }))
        .map(|f| f.evidence.line)
        .collect();
    assert_eq!(lines, vec![Some(3)]);
}

#[test]
fn notebook_cells_are_skimmed_and_cited_in_the_file() {
    let nb = serde_json::json!({"cells": [
        {"cell_type": "markdown", "source": ["# Prototype\n", "Summarize visit notes.\n"]},
        {"cell_type": "code", "source": ["from openai import OpenAI\n", "client = OpenAI()\n",
          "rows = q('SELECT first_name, note_text FROM visit_notes')\n"]}
    ]});
    let text = serde_json::to_string_pretty(&nb).unwrap();
    let flows = flows(&run("nb.ipynb", &text, true));
    assert!(
        flows.iter().any(|(n, d, l)| n == "OpenAI" && !d.is_empty() && l.is_some()),
        "{flows:?}"
    );
}

#[test]
fn files_without_phi_give_flows_without_data() {
    let flows = flows(&run(
        "a.js",
        "const Sentry = require('@sentry/node');\nSentry.init({dsn});\n",
        false,
    ));
    assert_eq!(flows, vec![("Sentry".to_string(), vec![], Some(2))]);
}

#[test]
fn oversized_files_fall_back_to_the_skim() {
    let mut src = String::from("import * as Sentry from '@sentry/node';\nSentry.init({dsn});\n");
    src.push_str(&"// padding\n".repeat(MAX_PARSE_BYTES / 11 + 1));
    let got = flows(&run("big.js", &src, false));
    assert_eq!(got, vec![("Sentry".to_string(), vec![], Some(2))]);
}
