//! The RabbitMQ sink against a real broker: `PHIFLOW_AMQP_URL`, or the local default
//! `amqp://guest:guest@127.0.0.1:5672/%2f`.
//!
//! These tests do not skip when no broker answers: they fail and say so, since a sink that was
//! never exercised is not known to work. CI starts RabbitMQ before `cargo test` (`.ci/run`).
//!
//! Each test declares its own exchange (a unique name, deleted at the end) and binds its own
//! exclusive, server-named queues, so tests run in parallel and leave nothing behind but what a
//! panic interrupts.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{copy_fixture, describe, phiflow};
use lapin::options::{
    BasicGetOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};
use phiflow_pipeline::sink::amqp::{AmqpSink, BlockingAmqpSink};
use phiflow_pipeline::sink::{redact_url, CloudEventAttributes, SinkError, SinkMessage};
use phiflow_pipeline::AmqpSinkConfig;
use serde_json::Value;

const DEFAULT_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

fn broker_url() -> String {
    std::env::var("PHIFLOW_AMQP_URL").ok().filter(|u| !u.is_empty()).unwrap_or(DEFAULT_URL.into())
}

/// A name no other test run uses.
fn unique(what: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("phiflow.test.{what}.{}.{nanos}", std::process::id())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

/// The test's own connection to the broker, as a subscriber would have. Panics, naming the
/// broker, when there is none.
async fn subscriber() -> (Connection, Channel) {
    let url = broker_url();
    let connect = Connection::connect(&url, properties());
    let connection = match tokio::time::timeout(Duration::from_secs(10), connect).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(e)) => no_broker(&url, &e.to_string()),
        Err(_) => no_broker(&url, "no answer within 10 s"),
    };
    let channel = connection.create_channel().await.expect("open a channel");
    (connection, channel)
}

/// lapin on the current tokio runtime.
fn properties() -> ConnectionProperties {
    ConnectionProperties::default()
        .with_executor(tokio_executor_trait::Tokio::current())
        .with_reactor(tokio_reactor_trait::Tokio::current())
}

fn no_broker(url: &str, why: &str) -> ! {
    panic!(
        "RabbitMQ is not reachable at {} ({why}). The AMQP sink tests need a running broker: \
         start one (`rabbitmq-server -detached`) or set PHIFLOW_AMQP_URL to one.",
        redact_url(url)
    )
}

/// Declare `exchange` as the sink does, so queues can be bound before anything is published.
async fn declare_exchange(channel: &Channel, exchange: &str) {
    let options = ExchangeDeclareOptions { durable: true, ..Default::default() };
    channel
        .exchange_declare(exchange, ExchangeKind::Topic, options, FieldTable::default())
        .await
        .expect("declare the test exchange");
}

/// A server-named exclusive queue bound to `exchange` with `key`.
async fn bound_queue(channel: &Channel, exchange: &str, key: &str, args: FieldTable) -> String {
    let options = QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
    let queue = channel.queue_declare("", options, args).await.expect("declare a queue");
    let name = queue.name().as_str().to_string();
    channel
        .queue_bind(&name, exchange, key, QueueBindOptions::default(), FieldTable::default())
        .await
        .expect("bind the queue");
    name
}

/// One message as a subscriber sees it.
#[derive(Debug)]
struct Got {
    routing_key: String,
    headers: BTreeMap<String, String>,
    content_type: Option<String>,
    delivery_mode: Option<u8>,
    body: Value,
}

/// Everything in `queue` now.
async fn drain(channel: &Channel, queue: &str) -> Vec<Got> {
    let mut got = Vec::new();
    let options = BasicGetOptions { no_ack: true };
    while let Some(message) = channel.basic_get(queue, options).await.expect("basic.get") {
        let d = message.delivery;
        let headers =
            d.properties.headers().as_ref().map(|h| h.inner().clone()).unwrap_or_default();
        got.push(Got {
            routing_key: d.routing_key.as_str().to_string(),
            headers: headers
                .into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        AMQPValue::LongString(s) => s.to_string(),
                        other => format!("{other:?}"),
                    };
                    (k.as_str().to_string(), text)
                })
                .collect(),
            content_type: d.properties.content_type().as_ref().map(|c| c.as_str().to_string()),
            delivery_mode: *d.properties.delivery_mode(),
            body: serde_json::from_slice(&d.data).expect("a JSON body"),
        });
    }
    got
}

/// Deletes a test's exchange (durable, as the sink declares it) when the test ends, whether it
/// passed or not.
struct DeleteOnDrop(String);

impl Drop for DeleteOnDrop {
    fn drop(&mut self) {
        let name = self.0.clone();
        runtime().block_on(async move {
            let url = broker_url();
            let connect = Connection::connect(&url, properties());
            let Ok(Ok(connection)) = tokio::time::timeout(Duration::from_secs(5), connect).await
            else {
                return;
            };
            if let Ok(channel) = connection.create_channel().await {
                let _ = channel.exchange_delete(&name, ExchangeDeleteOptions::default()).await;
            }
            let _ = connection.close(200, "done").await;
        });
    }
}

/// `phiflow scan ROOT --config CONFIG --data-dir DATA --format json` with the sink's URL in the
/// environment and INFO logs as JSON, so the publish summary can be read from stderr.
fn scan_with_sink(root: &Path, config: &Path, data: &Path) -> std::process::Output {
    phiflow()
        .arg("scan")
        .arg(root)
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(["--format", "json", "--log-format", "json"])
        .env("PHIFLOW_AMQP_URL", broker_url())
        .env("PHIFLOW_LOG", "info")
        .output()
        .expect("run phiflow")
}

/// `confirmed` of the sink's "amqp messages published" log event.
fn confirmed(json_logs: &str) -> Option<u64> {
    json_logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|event| event["fields"]["message"] == "amqp messages published")
        .and_then(|event| event["fields"]["confirmed"].as_u64())
}

fn transitions(report: &Value) -> Vec<Value> {
    report["transitions"].as_array().expect("a transitions array").clone()
}

/// Check `got` against the scan's `transitions`, one message each, matched by fingerprint.
fn check_messages(got: &[Got], transitions: &[Value]) {
    assert_eq!(got.len(), transitions.len(), "one message per transition: {got:#?}");
    for t in transitions {
        let fp = t["fingerprint"].as_str().unwrap();
        let m = got
            .iter()
            .find(|m| m.body["fingerprint"] == fp && m.body["kind"] == t["kind"])
            .unwrap_or_else(|| panic!("no message for transition {t}"));
        let key = format!(
            "finding.{}.{}",
            t["severity"].as_str().unwrap(),
            t["category"].as_str().unwrap()
        );
        assert_eq!(m.routing_key, key);
        assert_eq!(m.content_type.as_deref(), Some("application/json"));
        assert_eq!(m.delivery_mode, Some(2), "persistent");

        let h = &m.headers;
        let kind = t["kind"].as_str().unwrap();
        assert_eq!(h["ce_type"], format!("dev.phiflow.finding.{kind}.v1"));
        assert_eq!(h["ce_specversion"], "1.0");
        assert_eq!(h["ce_source"], format!("/phiflow/systems/{}", t["system"].as_str().unwrap()));
        assert_eq!(h["ce_time"], t["at"].as_str().unwrap());
        assert_eq!(h["ce_subject"], fp);
        assert_eq!(h["ce_id"].len(), 32);

        // The body is the transition as the report has it, with the finding added.
        for (field, value) in t.as_object().unwrap() {
            assert_eq!(&m.body[field], value, "body field {field}");
        }
        assert_eq!(m.body["finding"]["fingerprint"], fp);
        assert!(m.body["finding"]["evidence"].is_array(), "the finding is whole: {}", m.body);

        // Headers carry ids, names and times: never an excerpt.
        for e in m.body["finding"]["evidence"].as_array().unwrap() {
            let excerpt = e["excerpt"].as_str().unwrap_or_default();
            if excerpt.len() > 8 {
                assert!(h.values().all(|v| !v.contains(excerpt)), "excerpt in headers: {h:?}");
            }
        }
    }
}

#[test]
fn scan_publishes_each_transition_routed_by_severity_and_category() {
    let rt = runtime();
    let exchange = unique("scan");
    let _cleanup = DeleteOnDrop(exchange.clone());
    let (connection, channel) = rt.block_on(subscriber());
    let (all, critical) = rt.block_on(async {
        declare_exchange(&channel, &exchange).await;
        let all = bound_queue(&channel, &exchange, "finding.#", FieldTable::default()).await;
        let critical =
            bound_queue(&channel, &exchange, "finding.critical.*", FieldTable::default()).await;
        (all, critical)
    });

    let root = copy_fixture("infra");
    let data = tempfile::tempdir().unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("phiflow.toml");
    std::fs::write(&config, format!("[sinks.amqp]\nexchange = \"{exchange}\"\n")).unwrap();

    // First scan: every finding opens.
    let out = scan_with_sink(root.path(), &config, data.path());
    assert!(out.status.success(), "scan failed\n{}", describe(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let opened = transitions(&report);
    assert!(opened.len() >= 2, "the fixture opens several findings: {opened:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(confirmed(&stderr), Some(opened.len() as u64), "every message confirmed:\n{stderr}");
    assert!(!stderr.contains("guest:guest"), "no credentials in logs:\n{stderr}");

    let got = rt.block_on(drain(&channel, &all));
    check_messages(&got, &opened);
    let got_critical = rt.block_on(drain(&channel, &critical));
    let want_critical: Vec<Value> =
        opened.iter().filter(|t| t["severity"] == "critical").cloned().collect();
    assert!(!want_critical.is_empty(), "the fixture has a critical finding: {opened:?}");
    assert!(want_critical.len() < opened.len(), "and others: {opened:?}");
    check_messages(&got_critical, &want_critical);

    // Second scan with a document gone: its findings resolve, and only that is published.
    let terraform = root.path().join("terraform");
    std::fs::remove_dir_all(&terraform).expect("remove the terraform folder");
    let out = scan_with_sink(root.path(), &config, data.path());
    assert!(out.status.success(), "rescan failed\n{}", describe(&out));
    let rescan = transitions(&serde_json::from_slice(&out.stdout).unwrap());
    assert!(rescan.iter().any(|t| t["kind"] == "resolved"), "{rescan:?}");
    check_messages(&rt.block_on(drain(&channel, &all)), &rescan);

    rt.block_on(async {
        let _ = connection.close(200, "done").await;
    });
}

fn message(key: &str, n: u32) -> SinkMessage {
    SinkMessage {
        routing_key: key.to_string(),
        attributes: CloudEventAttributes {
            id: format!("test-{n}"),
            source: "/phiflow/tests".into(),
            event_type: "dev.phiflow.finding.opened.v1".into(),
            time: "2027-03-10T12:00:00Z".into(),
            subject: None,
        },
        body: format!("{{\"n\":{n}}}").into_bytes(),
    }
}

#[test]
fn the_sink_waits_for_each_confirm_and_a_nack_is_an_error() {
    let rt = runtime();
    let exchange = unique("nack");
    let _cleanup = DeleteOnDrop(exchange.clone());
    let (connection, channel) = rt.block_on(subscriber());

    // A queue that holds one message and refuses (nacks) the next one instead of dropping it.
    let mut args = FieldTable::default();
    args.insert("x-max-length".into(), AMQPValue::LongLongInt(1));
    args.insert("x-overflow".into(), AMQPValue::LongString("reject-publish".into()));
    let queue = rt.block_on(async {
        declare_exchange(&channel, &exchange).await;
        bound_queue(&channel, &exchange, "finding.#", args).await
    });

    let config = AmqpSinkConfig { url: Some(broker_url()), exchange: exchange.clone() };
    let result = rt.block_on(async {
        let sink = AmqpSink::connect(&config).await.expect("connect the sink");
        assert_eq!(sink.exchange(), exchange);
        let confirmed = sink.publish_all(&[message("finding.low.untagged_phi", 1)]).await;
        assert_eq!(confirmed.expect("the first message is confirmed"), 1);
        let unroutable = sink.publish_all(&[message("elsewhere", 2)]).await;
        assert_eq!(unroutable.expect("unroutable messages are acked, not owed"), 1);

        let refused = sink
            .publish_all(&[message("finding.low.untagged_phi", 3), message("finding.low.x", 4)])
            .await;
        sink.close().await;
        refused
    });
    let err = result.expect_err("a full queue nacks");
    let SinkError::Incomplete { confirmed: 0, total: 2, source } = &err else {
        panic!("expected Incomplete {{ confirmed: 0, total: 2 }}, got {err:?}")
    };
    assert!(matches!(**source, SinkError::Nacked { .. }), "{source:?}");
    let text = chain(&err);
    assert!(text.contains("refused (nack)") && text.contains(&exchange), "{text}");

    let kept = rt.block_on(drain(&channel, &queue));
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].body["n"], 1);
    rt.block_on(async {
        let _ = connection.close(200, "done").await;
    });
}

/// An error and its causes, as the CLI prints them.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

#[test]
fn a_wrong_port_fails_quickly_naming_the_host_and_not_the_password() {
    let port = closed_port();
    let url = format!("amqp://guest:s3cret-pw@127.0.0.1:{port}/%2f");
    let started = Instant::now();
    let err = BlockingAmqpSink::connect(&AmqpSinkConfig::new(&url)).err().expect("no broker there");
    let elapsed = started.elapsed();

    let text = chain(&err);
    assert!(text.contains(&format!("RabbitMQ at 127.0.0.1:{port}")), "{text}");
    assert!(text.contains("Connection refused"), "the cause is shown: {text}");
    assert!(text.contains("attempts: 4"), "retried a bounded number of times: {text}");
    assert!(!text.contains("s3cret-pw"), "{text}");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");

    // Through the CLI: the scan stops before it records anything.
    let root = copy_fixture("infra");
    let data = tempfile::tempdir().unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("phiflow.toml");
    std::fs::write(&config, "[sinks.amqp]\n").unwrap();
    let out = phiflow()
        .arg("scan")
        .arg(root.path())
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(data.path())
        .env("PHIFLOW_AMQP_URL", &url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(!stderr.contains("s3cret-pw"), "{stderr}");
    assert!(!data.path().join("phiflow.db").exists(), "nothing recorded without the sink");
}

#[test]
fn a_refused_login_is_reported_at_once_without_retrying() {
    // Reach the broker first, so that this test fails for the right reason.
    let rt = runtime();
    let (connection, _channel) = rt.block_on(subscriber());
    rt.block_on(async {
        let _ = connection.close(200, "done").await;
    });

    let url = broker_url();
    let broker = phiflow_pipeline::sink::BrokerUrl::parse(&url).unwrap();
    let wrong = format!("amqp://phiflow-nobody:wrong-pw@{}/%2f", broker.target());
    let err = BlockingAmqpSink::connect(&AmqpSinkConfig::new(&wrong)).err().expect("login refused");
    let text = chain(&err);
    assert!(text.contains("ACCESS_REFUSED"), "{text}");
    assert!(text.contains("attempts: 1"), "a refused login is not retried: {text}");
    assert!(!text.contains("wrong-pw"), "{text}");
}
