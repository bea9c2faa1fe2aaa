//! The RabbitMQ sink: [`SinkMessage`]s onto a durable topic exchange, each one confirmed by the
//! broker before the next is sent.
//!
//! ```no_run
//! use phiflow_pipeline::sink::amqp::BlockingAmqpSink;
//! use phiflow_pipeline::sink::{CloudEventAttributes, SinkMessage};
//! use phiflow_pipeline::AmqpSinkConfig;
//!
//! let config = AmqpSinkConfig::new("amqp://guest:guest@127.0.0.1:5672/%2f");
//! let mut sink = BlockingAmqpSink::connect(&config)?;
//! let message = SinkMessage {
//!     routing_key: "finding.critical.disclosure_no_baa".into(),
//!     attributes: CloudEventAttributes {
//!         id: "3f1c-opened-1".into(),
//!         source: "/phiflow/systems/default".into(),
//!         event_type: "dev.phiflow.finding.opened.v1".into(),
//!         time: "2027-03-10T12:00:00Z".into(),
//!         subject: None,
//!     },
//!     body: br#"{"fingerprint":"3f1c"}"#.to_vec(),
//! };
//! assert_eq!(sink.publish_all(&[message])?, 1);
//! sink.close();
//! # Ok::<(), phiflow_pipeline::sink::SinkError>(())
//! ```
//!
//! # What the broker is promised, and what it promises back
//!
//! - The exchange is declared as a durable topic exchange on every connect. Declaring is
//!   idempotent when the exchange exists with the same type and durability; when it exists with
//!   others, the broker closes the channel and [`AmqpSink::connect`] fails with that reason
//!   rather than publishing somewhere unexpected.
//! - The channel is put in confirm mode (`confirm.select`) before anything is published, and
//!   [`AmqpSink::publish`] returns only once the broker has acknowledged that one message. An
//!   `ack` means the broker has taken responsibility for it: routed to every bound queue, and
//!   written to disk for durable queues since messages are persistent (delivery mode 2). A
//!   `nack` is an error ([`SinkError::Nacked`]), and so is a connection lost before the answer,
//!   or no answer within [`CONFIRM_TIMEOUT`]: a message is never dropped silently.
//! - Messages are not `mandatory`. A message no queue is bound for is acknowledged and dropped
//!   by the broker, which is how a topic exchange works: a subscriber that binds only
//!   `finding.critical.*` is not owed the low ones.
//! - Only the first connection is retried, [`CONNECT_ATTEMPTS`] times with doubling delays from
//!   [`FIRST_RETRY_DELAY`], so a broker that is restarting gets a few seconds and a broker that
//!   is absent fails the command within them. Failures that retrying cannot fix (refused login,
//!   a missing virtual host) are not retried. After that, a lost connection fails the publish in
//!   progress; the caller decides what to do next, and there is no reconnect loop here.
//!
//! Errors and logs name the broker by host and port; the URL's password never leaves this
//! module.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::publisher_confirm::Confirmation;
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};

use super::{redact_url, BoxError, BrokerUrl, CloudEventAttributes, SinkError, SinkMessage};
use crate::config::AmqpSinkConfig;

/// Connection attempts at start, the first included.
pub const CONNECT_ATTEMPTS: usize = 4;

/// Delay before the first retry; each next one doubles. With jitter (up to as much again) the
/// three retries wait between 1.75 s and 3.5 s in all.
pub const FIRST_RETRY_DELAY: Duration = Duration::from_millis(250);

/// How long one connection attempt (TCP connect, AMQP handshake, login) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the broker has to confirm one message.
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);

/// AMQP delivery mode of a message the broker writes to disk.
const PERSISTENT: u8 = 2;

/// A connection and a confirm-mode channel to one exchange. Use it from a tokio runtime; see
/// [`BlockingAmqpSink`] for code that is not async.
pub struct AmqpSink {
    connection: Connection,
    channel: Channel,
    exchange: String,
    target: String,
}

impl AmqpSink {
    /// Connect (retrying, see the module docs), declare the exchange and enable publisher
    /// confirms.
    pub async fn connect(config: &AmqpSinkConfig) -> Result<AmqpSink, SinkError> {
        let Some(url) = config.url.as_deref() else {
            let reason = "no URL: set sinks.amqp.url or PHIFLOW_AMQP_URL".to_string();
            return Err(SinkError::Url { url: "(none)".into(), reason });
        };
        let broker = BrokerUrl::parse(url)
            .map_err(|reason| SinkError::Url { url: redact_url(url), reason })?;
        let target = broker.target();
        let exchange = config.exchange.clone();
        let setup = |step: &'static str| {
            let (target, exchange) = (target.clone(), exchange.clone());
            move |e: lapin::Error| SinkError::Setup { target, exchange, step, source: e.into() }
        };

        let connection = connect_with_retry(url, &target).await?;
        let channel = connection.create_channel().await.map_err(setup("open a channel"))?;

        // Durable, so the exchange and its bindings survive a broker restart.
        let options = ExchangeDeclareOptions { durable: true, ..Default::default() };
        channel
            .exchange_declare(&exchange, ExchangeKind::Topic, options, FieldTable::default())
            .await
            .map_err(setup("declare the durable topic exchange"))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(setup("enable publisher confirms"))?;
        tracing::info!(broker = %target, exchange = %exchange, "amqp sink connected");
        Ok(AmqpSink { connection, channel, exchange, target })
    }

    /// The exchange messages go to.
    pub fn exchange(&self) -> &str {
        &self.exchange
    }

    /// Publish one message and wait until the broker confirms it.
    pub async fn publish(&self, message: &SinkMessage) -> Result<(), SinkError> {
        let publish_error = |source: BoxError| SinkError::Publish {
            target: self.target.clone(),
            exchange: self.exchange.clone(),
            routing_key: message.routing_key.clone(),
            source,
        };
        let confirm = self
            .channel
            .basic_publish(
                &self.exchange,
                &message.routing_key,
                BasicPublishOptions::default(),
                &message.body,
                properties(&message.attributes),
            )
            .await
            .map_err(|e| publish_error(e.into()))?;
        let confirmation = tokio::time::timeout(CONFIRM_TIMEOUT, confirm)
            .await
            .map_err(|_| publish_error("no confirmation from the broker in time".into()))?
            .map_err(|e| publish_error(e.into()))?;

        match confirmation {
            Confirmation::Ack(_) => {
                tracing::debug!(routing_key = %message.routing_key, id = %message.attributes.id,
                    "amqp message confirmed");
                Ok(())
            }
            Confirmation::Nack(_) => Err(SinkError::Nacked {
                target: self.target.clone(),
                exchange: self.exchange.clone(),
                routing_key: message.routing_key.clone(),
            }),
            // Only possible if confirm mode were off, which `connect` makes sure it is not.
            Confirmation::NotRequested => {
                Err(publish_error("the channel is not in confirm mode".into()))
            }
        }
    }

    /// Publish `messages` in order, each confirmed before the next is sent; how many were
    /// confirmed. On a failure, the error says how many made it before.
    pub async fn publish_all(&self, messages: &[SinkMessage]) -> Result<usize, SinkError> {
        for (confirmed, message) in messages.iter().enumerate() {
            if let Err(e) = self.publish(message).await {
                return Err(SinkError::Incomplete {
                    confirmed,
                    total: messages.len(),
                    source: Box::new(e),
                });
            }
        }
        tracing::info!(
            broker = %self.target,
            exchange = %self.exchange,
            confirmed = messages.len(),
            "amqp messages published"
        );
        Ok(messages.len())
    }

    /// Close the channel and the connection. Errors are logged, not returned: every message was
    /// already confirmed or reported.
    pub async fn close(self) {
        if let Err(e) = self.channel.close(200, "done").await {
            tracing::debug!(broker = %self.target, error = %e, "amqp channel close failed");
        }
        if let Err(e) = self.connection.close(200, "done").await {
            tracing::debug!(broker = %self.target, error = %e, "amqp connection close failed");
        }
    }
}

/// [`AmqpSink`] with its own small tokio runtime, for callers that are not async (`phiflow
/// scan`).
pub struct BlockingAmqpSink {
    runtime: tokio::runtime::Runtime,
    sink: AmqpSink,
}

impl BlockingAmqpSink {
    /// [`AmqpSink::connect`], blocking.
    pub fn connect(config: &AmqpSinkConfig) -> Result<BlockingAmqpSink, SinkError> {
        // One worker thread is plenty for one connection, and keeps the client's I/O running
        // while the caller is between calls.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("phiflow-amqp")
            .enable_all()
            .build()
            .map_err(SinkError::Runtime)?;
        let sink = runtime.block_on(AmqpSink::connect(config))?;
        Ok(BlockingAmqpSink { runtime, sink })
    }

    /// The exchange messages go to.
    pub fn exchange(&self) -> &str {
        self.sink.exchange()
    }

    /// [`AmqpSink::publish_all`], blocking.
    pub fn publish_all(&mut self, messages: &[SinkMessage]) -> Result<usize, SinkError> {
        self.runtime.block_on(self.sink.publish_all(messages))
    }

    /// [`AmqpSink::close`], blocking.
    pub fn close(self) {
        let BlockingAmqpSink { runtime, sink } = self;
        runtime.block_on(sink.close());
    }
}

/// Connect, retrying what a retry can fix. Every attempt is bounded by [`CONNECT_TIMEOUT`].
async fn connect_with_retry(url: &str, target: &str) -> Result<Connection, SinkError> {
    let attempts = AtomicUsize::new(0);
    let backoff = ExponentialBuilder::default()
        .with_min_delay(FIRST_RETRY_DELAY)
        .with_factor(2.0)
        .with_max_times(CONNECT_ATTEMPTS - 1)
        .with_jitter();
    let attempt = || async {
        attempts.fetch_add(1, Ordering::Relaxed);
        match tokio::time::timeout(CONNECT_TIMEOUT, Connection::connect(url, properties_tokio()))
            .await
        {
            Ok(Ok(connection)) => Ok(connection),
            Ok(Err(e)) => Err(AttemptError::Client(e)),
            Err(_) => Err(AttemptError::TimedOut),
        }
    };
    attempt
        .retry(backoff)
        .when(AttemptError::is_transient)
        .notify(|e, delay| {
            tracing::warn!(broker = %target, error = %e, retry_in_ms = delay.as_millis() as u64,
                "amqp connection failed; retrying");
        })
        .await
        .map_err(|e| SinkError::Connect {
            target: target.to_string(),
            attempts: attempts.load(Ordering::Relaxed),
            source: e.into(),
        })
}

/// Why one connection attempt failed.
#[derive(Debug, thiserror::Error)]
enum AttemptError {
    #[error("{0}")]
    Client(lapin::Error),
    #[error("no answer within {} s", CONNECT_TIMEOUT.as_secs())]
    TimedOut,
}

impl AttemptError {
    /// Network trouble may pass; a refused login or an unknown virtual host will not.
    fn is_transient(&self) -> bool {
        match self {
            AttemptError::Client(e) => e.is_io_error(),
            AttemptError::TimedOut => true,
        }
    }
}

/// Client properties that run lapin on the current tokio runtime.
fn properties_tokio() -> ConnectionProperties {
    ConnectionProperties::default()
        .with_executor(tokio_executor_trait::Tokio::current())
        .with_reactor(tokio_reactor_trait::Tokio::current())
        .with_connection_name("phiflow".into())
}

/// Persistent JSON with the CloudEvents attributes as `ce_*` headers. The CloudEvents id is
/// also the AMQP message id, so a consumer can drop a redelivered duplicate with either.
fn properties(attributes: &CloudEventAttributes) -> BasicProperties {
    let mut headers = FieldTable::default();
    for (name, value) in attributes.headers() {
        headers.insert(ShortString::from(name), AMQPValue::LongString(LongString::from(value)));
    }
    BasicProperties::default()
        .with_content_type(ShortString::from("application/json"))
        .with_delivery_mode(PERSISTENT)
        .with_message_id(ShortString::from(attributes.id.as_str()))
        .with_app_id(ShortString::from("phiflow"))
        .with_headers(headers)
}
