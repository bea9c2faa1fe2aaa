//! Throughput benchmark: builds a synthetic organization of N artifacts in memory (design docs,
//! Slack-like threads, Terraform, Kubernetes, OpenAPI, package manifests), processes them
//! through the analyzer, evaluates the rules, then updates one artifact and evaluates again.
//! Prints the numbers; asserts nothing about time.
//!
//! ```text
//! cargo bench -p phiflow-analyzer --bench scan -- [N ...]    # default: 200 1000 4000
//! ```

use std::time::Instant;

use phiflow_analyzer::Analyzer;
use phiflow_pipeline::{ArtifactEvent, Config, Source};

fn artifact(i: usize) -> ArtifactEvent {
    let (path, text) = match i % 6 {
        0 => (
            format!("docs/service-{i}.md"),
            format!(
                "# Service {i}\n\nThe `svc-{i}` API stores each patient's name, DOB and lab \
                 results in `bucket-{i}`.\n\nWe send appointment reminders through Twilio.\n\n\
                 | Field | Notes |\n|---|---|\n| mrn | patient id |\n"
            ),
        ),
        1 => (
            format!("infra/bucket-{i}.tf"),
            format!(
                "resource \"aws_s3_bucket\" \"b{i}\" {{\n  bucket = \"bucket-{}\"\n  tags = {{ data_class = \"phi\" }}\n}}\n",
                i - 1
            ),
        ),
        2 => (
            format!("k8s/svc-{i}.yaml"),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-{i}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: shared-db-{}\n                  key: password\n",
                i % 50
            ),
        ),
        3 => (
            format!("api/svc-{i}.yaml"),
            format!(
                "openapi: 3.0.0\ninfo:\n  title: svc-{i}\npaths:\n  /patients/{{id}}:\n    get:\n      responses:\n        '200':\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  mrn: {{type: string}}\n                  birthDate: {{type: string}}\n"
            ),
        ),
        4 => (
            format!("web-{i}/package.json"),
            "{\"dependencies\": {\"mixpanel-browser\": \"^2\", \"react\": \"^19\"}}".to_string(),
        ),
        _ => (
            format!("notes/meeting-{i}.md"),
            format!("We discussed release {i}. Nothing about patients here; the build is green."),
        ),
    };
    ArtifactEvent::new(Source::Files, &path, "default", text)
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn run(n: usize) {
    let events: Vec<ArtifactEvent> = (0..n).map(artifact).collect();
    let mut analyzer = Analyzer::new(Config::default());

    let start = Instant::now();
    for e in &events {
        analyzer.process(e);
    }
    let extract = start.elapsed();

    let start = Instant::now();
    let findings = analyzer.findings();
    let evaluate = start.elapsed();

    let mut changed = events[0].clone();
    let text = changed.content.take().unwrap_or_default() + "\nWe also send DOB to Sentry.\n";
    changed = ArtifactEvent::new(Source::Files, &changed.path, "default", text);
    let start = Instant::now();
    analyzer.process(&changed);
    let after = analyzer.findings();
    let update = start.elapsed();

    println!(
        "n={n:>5}  extract {:>8.1} ms ({:>7.0} artifacts/s)  evaluate {:>7.1} ms  \
         findings {:>5}  one-artifact update+evaluate {:>7.1} ms  findings {:>5}  peak RSS {:>6.1} MiB",
        extract.as_secs_f64() * 1e3,
        n as f64 / extract.as_secs_f64(),
        evaluate.as_secs_f64() * 1e3,
        findings.len(),
        update.as_secs_f64() * 1e3,
        after.len(),
        peak_rss_mib()
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![200, 1000, 4000] } else { sizes };
    for n in sizes {
        run(n);
    }
}
