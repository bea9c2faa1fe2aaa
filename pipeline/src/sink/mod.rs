//! Sinks: places outside the bus that events are also delivered to.
//!
//! A sink takes [`SinkMessage`]s: a routing key, the CloudEvents context attributes and a JSON
//! body. What the key and the body mean is the caller's business (the analyzer's finding
//! transitions, for one); a sink only moves bytes and reports, loudly, when the far side did not
//! take them.
//!
//! - [`amqp`] (cargo feature `amqp`): a RabbitMQ topic exchange, with publisher confirms.
//!
//! Broker URLs carry credentials, so nothing here ever prints one whole: errors and logs name the
//! host and port ([`BrokerUrl::target`]) or the URL with its password masked ([`redact_url`]).

#[cfg(feature = "amqp")]
pub mod amqp;

use std::fmt;

/// One message for a sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkMessage {
    /// Where a topic exchange routes it, e.g. `finding.critical.disclosure_no_baa`.
    pub routing_key: String,
    /// CloudEvents context attributes, sent as `ce_*` headers.
    pub attributes: CloudEventAttributes,
    /// The event's data, JSON.
    pub body: Vec<u8>,
}

/// The CloudEvents 1.0 context attributes that travel as headers. They carry ids, names and
/// times only, never PHI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudEventAttributes {
    /// Unique per `source`; equal ids mean the same event delivered twice.
    pub id: String,
    /// What produced the event, a URI reference such as `/phiflow/systems/portal`.
    pub source: String,
    /// Reverse-DNS event type with a version, such as `dev.phiflow.finding.opened.v1`.
    pub event_type: String,
    /// When it happened, RFC 3339.
    pub time: String,
    /// What the event is about within the source, when there is one (a fingerprint).
    pub subject: Option<String>,
}

/// The CloudEvents version phiflow speaks.
pub const CE_SPECVERSION: &str = "1.0";

impl CloudEventAttributes {
    /// The attributes as `ce_*` header pairs, in a fixed order.
    pub fn headers(&self) -> Vec<(&'static str, &str)> {
        let mut headers = vec![
            ("ce_id", self.id.as_str()),
            ("ce_source", self.source.as_str()),
            ("ce_specversion", CE_SPECVERSION),
            ("ce_type", self.event_type.as_str()),
            ("ce_time", self.time.as_str()),
        ];
        if let Some(subject) = &self.subject {
            headers.push(("ce_subject", subject.as_str()));
        }
        headers
    }
}

/// Why a sink did not deliver. The cause of a variant with a `source` is its
/// [`std::error::Error::source`], not part of its message; print the chain (`{:#}` with anyhow).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// The broker URL is unusable; `url` has its password masked.
    #[error("invalid broker URL {url}: {reason}")]
    Url { url: String, reason: String },
    /// No connection could be made, after retrying.
    #[error("cannot connect to RabbitMQ at {target} (attempts: {attempts})")]
    Connect {
        target: String,
        attempts: usize,
        #[source]
        source: BoxError,
    },
    /// Connected, but setting up the channel or exchange failed.
    #[error("RabbitMQ at {target}: cannot {step} for exchange {exchange}")]
    Setup {
        target: String,
        exchange: String,
        step: &'static str,
        #[source]
        source: BoxError,
    },
    /// A publish failed or its confirmation never came (the connection was lost).
    #[error(
        "RabbitMQ at {target}: publishing to exchange {exchange} with routing key \
         {routing_key} failed"
    )]
    Publish {
        target: String,
        exchange: String,
        routing_key: String,
        #[source]
        source: BoxError,
    },
    /// The broker refused a message (`basic.nack`): it was not stored.
    #[error(
        "RabbitMQ at {target} refused (nack) the message to exchange {exchange} with routing \
         key {routing_key}"
    )]
    Nacked { target: String, exchange: String, routing_key: String },
    /// A batch stopped at a failure; the first `confirmed` messages were delivered.
    #[error("{confirmed} of {total} messages were confirmed before one failed")]
    Incomplete {
        confirmed: usize,
        total: usize,
        #[source]
        source: Box<SinkError>,
    },
    /// The async runtime the sink runs on could not start.
    #[error("cannot start the sink's runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// A boxed client error, so that [`SinkError`] does not depend on one client library.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What phiflow reads from an `amqp://` URL before handing it to the client: enough to name the
/// broker in messages and to refuse what cannot work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl BrokerUrl {
    /// Check the shape of `url`. The reason given on failure never quotes the URL.
    pub fn parse(url: &str) -> Result<BrokerUrl, String> {
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err("expected amqp://USER:PASSWORD@HOST:PORT/VHOST".into());
        };
        let default_port = match scheme {
            "amqp" => 5672,
            "amqps" => {
                return Err(
                    "amqps:// (TLS) is not supported yet: this build speaks amqp:// only".into()
                )
            }
            _ => return Err(format!("unknown scheme {scheme:?}: expected amqp://")),
        };
        let authority = authority(rest);
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
        let (host, port) = split_host_port(host_port)?;
        if host.is_empty() {
            return Err("no host".into());
        }
        Ok(BrokerUrl {
            scheme: scheme.to_string(),
            host: host.to_string(),
            port: port.unwrap_or(default_port),
        })
    }

    /// `host:port`, for messages.
    pub fn target(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.target())
    }
}

/// The user-info and host part of what follows `scheme://`.
fn authority(rest: &str) -> &str {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    &rest[..end]
}

fn split_host_port(host_port: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        let Some((host, after)) = v6.split_once(']') else {
            return Err("unclosed [ in the host".into());
        };
        (host, after.strip_prefix(':'))
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(p.parse::<u16>().map_err(|_| format!("bad port {p:?}"))?),
    };
    Ok((host, port))
}

/// `url` with the password replaced by `***`: safe for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        // Not URL-shaped: it cannot be told apart from a secret, so show none of it.
        return "(unparsable URL)".to_string();
    };
    let authority = authority(rest);
    let tail = &rest[authority.len()..];
    let Some((userinfo, host_port)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    let user = match userinfo.split_once(':') {
        Some((user, _password)) => format!("{user}:***"),
        None => userinfo.to_string(),
    };
    format!("{scheme}://{user}@{host_port}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_and_nothing_else_is() {
        let url = "amqp://guest:s3cr:et@127.0.0.1:5672/%2f";
        assert_eq!(redact_url(url), "amqp://guest:***@127.0.0.1:5672/%2f");
        assert_eq!(redact_url("amqp://rabbit.internal/prod"), "amqp://rabbit.internal/prod");
        assert_eq!(redact_url("amqp://user@h/"), "amqp://user@h/");
        assert_eq!(redact_url("guest:secret"), "(unparsable URL)");
    }

    #[test]
    fn a_password_with_an_at_sign_stays_hidden() {
        let masked = redact_url("amqp://guest:p@ss@10.0.0.5:5673/%2f");
        assert!(!masked.contains("p@ss") && !masked.contains("ss@"), "{masked}");
        assert_eq!(BrokerUrl::parse("amqp://guest:p@ss@10.0.0.5:5673/%2f").unwrap().port, 5673);
    }

    #[test]
    fn broker_urls_name_host_and_port() {
        let url = BrokerUrl::parse("amqp://guest:guest@127.0.0.1:5672/%2f").unwrap();
        assert_eq!(url.target(), "127.0.0.1:5672");
        assert_eq!(BrokerUrl::parse("amqp://mq").unwrap().target(), "mq:5672");
        assert_eq!(BrokerUrl::parse("amqp://[::1]:5700/").unwrap().target(), "[::1]:5700");
    }

    #[test]
    fn unusable_urls_are_refused_without_quoting_them() {
        for (url, why) in [
            ("amqps://u:secret@h/", "not supported"),
            ("http://u:secret@h/", "unknown scheme"),
            ("amqp://u:secret@:5672/", "no host"),
            ("amqp://u:secret@h:56x/", "bad port"),
            ("u:secret@h", "expected amqp://"),
        ] {
            let err = BrokerUrl::parse(url).unwrap_err();
            assert!(err.contains(why), "{url}: {err}");
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn attributes_become_ce_headers() {
        let attrs = CloudEventAttributes {
            id: "1".into(),
            source: "/phiflow/systems/default".into(),
            event_type: "dev.phiflow.finding.opened.v1".into(),
            time: "2027-03-10T12:00:00Z".into(),
            subject: None,
        };
        let names: Vec<&str> = attrs.headers().iter().map(|(k, _)| *k).collect();
        assert_eq!(names, ["ce_id", "ce_source", "ce_specversion", "ce_type", "ce_time"]);
    }
}
