//! `phiflow serve` end to end: a real server process on a free loopback port, over a data
//! directory that `phiflow scan` filled, answering a plain HTTP/1.1 client. A decision made over
//! HTTP is then read back with `phiflow findings list`, and SIGTERM stops the server cleanly.
//!
//! The handlers themselves are tested without sockets in `src/serve.rs`.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{describe, fixture, phiflow};
use serde_json::{json, Value};

/// A running `phiflow serve`, killed if the test fails before it stops it.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    /// Start on port 0 and read the address it took from its first line on stderr.
    fn start(data_dir: &std::path::Path) -> Server {
        let mut child = phiflow()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start phiflow serve");
        let mut line = String::new();
        let stderr = child.stderr.take().expect("piped stderr");
        BufReader::new(stderr).read_line(&mut line).expect("read the server's first line");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split([',', ' ', '\n']).next())
            .unwrap_or_else(|| panic!("no listening address in {line:?}"))
            .to_string();
        Server { child, addr }
    }

    /// One request with `Connection: close`; the status and the body.
    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).expect("connect to the server");
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let body = body.map(Value::to_string).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("send the request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read the response");
        let (head, body) = response.split_once("\r\n\r\n").expect("a header block");
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status code");
        (status, body.to_string())
    }

    fn json(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let (status, text) = self.request(method, path, body);
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text:?}"));
        (status, value)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_finding_accepted_over_http_is_accepted_for_the_cli() {
    let data = tempfile::tempdir().unwrap();
    let scan = phiflow()
        .arg("scan")
        .arg(fixture("infra"))
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .expect("run phiflow scan");
    assert!(scan.status.success(), "scan failed\n{}", describe(&scan));

    let server = Server::start(data.path());
    assert_eq!(server.request("GET", "/healthz", None), (200, "ok".to_string()));
    assert_eq!(server.request("GET", "/readyz", None), (200, "ready".to_string()));

    let (status, open) = server.json("GET", "/findings?state=open", None);
    assert_eq!(status, 200);
    let fingerprint = open[0]["fingerprint"].as_str().expect("an open finding").to_string();

    let decision =
        json!({"by": "dana", "reason": "bucket is being retired", "until": "2999-01-31"});
    let path = format!("/findings/{fingerprint}/accept");
    let (status, decided) = server.json("POST", &path, Some(&decision));
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["to"], "accepted");
    let (status, refused) = server.json("POST", &path, Some(&json!({"by": "dana"})));
    assert_eq!((status, refused["error"].is_string()), (422, true), "{refused}");

    let list = phiflow()
        .args(["findings", "list", "--state", "accepted", "--format", "json", "--data-dir"])
        .arg(data.path())
        .output()
        .expect("run phiflow findings list");
    assert!(list.status.success(), "{}", describe(&list));
    let accepted: Value = serde_json::from_slice(&list.stdout).expect("JSON list");
    let fingerprints: Vec<&str> =
        accepted.as_array().unwrap().iter().filter_map(|f| f["fingerprint"].as_str()).collect();
    assert_eq!(fingerprints, [fingerprint.as_str()]);

    stop_with_sigterm(server);
}

/// SIGTERM lets the server finish and exit 0, promptly.
#[cfg(unix)]
fn stop_with_sigterm(mut server: Server) {
    let pid = server.child.id().to_string();
    let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.child.try_wait().expect("wait for the server") {
            assert!(status.success(), "phiflow serve exited with {status} on SIGTERM");
            return;
        }
        assert!(Instant::now() < deadline, "phiflow serve still runs 10 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(not(unix))]
fn stop_with_sigterm(server: Server) {
    drop(server);
}
