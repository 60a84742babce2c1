//! Tests of the HTTP response parser, the bulk-response check and the keep-alive client.

use super::*;
use std::io::{Cursor, Read};
use std::net::TcpListener;

fn parse(raw: &str) -> Result<Response> {
    read_response(&mut Cursor::new(raw.as_bytes().to_vec()), false)
}

#[test]
fn parses_content_length_body_and_leaves_the_next_response() {
    let raw = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":true}\nHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
    let mut cur = Cursor::new(raw.as_bytes().to_vec());
    let r = read_response(&mut cur, false).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.body, b"{\"a\":true}\n");
    assert_eq!(r.json().unwrap()["a"], true);
    let r2 = read_response(&mut cur, false).unwrap();
    assert_eq!(r2.status, 404);
    assert!(r2.body.is_empty());
}

#[test]
fn parses_chunked_body_with_extensions_and_trailers() {
    let raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: y\r\n\r\n";
    let r = parse(raw).unwrap();
    assert_eq!(r.text(), "Wikipedia in\r\n\r\nchunks.");
}

#[test]
fn body_without_length_runs_to_close() {
    let r = parse("HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nhello").unwrap();
    assert_eq!(r.text(), "hello");
    assert!(r.closes());
}

#[test]
fn head_and_no_content_responses_have_no_body() {
    let raw = "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n";
    let r = read_response(&mut Cursor::new(raw.as_bytes().to_vec()), true).unwrap();
    assert!(r.body.is_empty());
    assert_eq!(
        parse("HTTP/1.1 204 No Content\r\n\r\n").unwrap().status,
        204
    );
}

#[test]
fn malformed_responses_are_errors() {
    assert!(parse("").is_err());
    assert!(parse("SSH-2.0-OpenSSH\r\n\r\n").is_err());
    assert!(parse("HTTP/1.1 abc OK\r\n\r\n").is_err());
    assert!(parse("HTTP/1.1 200 OK\r\nno-colon-here\r\n\r\n").is_err());
    assert!(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").is_err());
    assert!(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n").is_err());
}

fn resp(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: vec![],
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn bulk_check_accepts_success_fast_and_slow_path() {
    assert!(check_bulk_response(&resp(200, r#"{"errors":false,"took":3,"items":[]}"#)).is_ok());
    assert!(check_bulk_response(&resp(200, r#"{"took":3, "errors" : false,"items":[]}"#)).is_ok());
    // Key beyond the fast-path window: parsed.
    let long = format!(
        r#"{{"pad":"{}","errors":false,"items":[]}}"#,
        "x".repeat(400)
    );
    assert!(check_bulk_response(&resp(200, &long)).is_ok());
}

#[test]
fn bulk_check_reports_the_first_failed_item() {
    let body = r#"{"took":1,"errors":true,"items":[
        {"index":{"_index":"logs","_id":"a","status":201,"result":"created"}},
        {"index":{"_index":"logs","_id":"b","status":400,"error":{"type":"mapper_parsing_exception","reason":"bad"}}},
        {"index":{"_index":"logs","_id":"c","status":400,"error":{"type":"x","reason":"y"}}}]}"#;
    let err = check_bulk_response(&resp(200, body))
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 of 3 items failed"), "{err}");
    assert!(err.contains("mapper_parsing_exception"), "{err}");
}

#[test]
fn bulk_check_rejects_bad_status_and_bodies() {
    let err = check_bulk_response(&resp(413, "too large"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("413"), "{err}");
    assert!(check_bulk_response(&resp(200, r#"{"items":[]}"#)).is_err());
    assert!(check_bulk_response(&resp(200, "not json")).is_err());
    // A nested "errors":false inside an item must not pass the fast path.
    assert!(
        check_bulk_response(&resp(200, r#"{"items":[{"errors":false}],"errors":true}"#)).is_err()
    );
}

/// Serves `responses` on one connection each, in order, recording request lines and bodies.
fn serve(responses: Vec<Vec<&'static str>>) -> (SocketAddr, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for conn_responses in responses {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            for answer in conn_responses {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let mut len = 0;
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    if h.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                seen.push(format!(
                    "{} {}",
                    line.trim(),
                    String::from_utf8(body).unwrap()
                ));
                writer.write_all(answer.as_bytes()).unwrap();
            }
        }
        seen
    });
    (addr, handle)
}

#[test]
fn client_keeps_alive_and_reconnects_after_close() {
    let ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
    let empty = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
    let (addr, server) = serve(vec![vec![ok, ok], vec![empty]]);
    let mut c = Client::new(addr, Duration::from_secs(5));
    assert_eq!(c.get("/").unwrap().text(), "ok");
    let r = c
        .request("POST", "/_bulk", "application/x-ndjson", b"{}\n")
        .unwrap();
    assert_eq!(r.status, 200);
    // The server dropped the first connection after two responses: the client retries on a new one.
    assert_eq!(
        c.send_json_ok("PUT", "/logs", &serde_json::json!({"a":1}))
            .unwrap(),
        serde_json::json!({})
    );
    let seen = server.join().unwrap();
    assert_eq!(
        seen,
        [
            "GET / HTTP/1.1 ",
            "POST /_bulk HTTP/1.1 {}\n",
            "PUT /logs HTTP/1.1 {\"a\":1}"
        ]
    );
}

#[test]
fn send_json_ok_fails_on_error_status() {
    let (addr, server) = serve(vec![vec![
        "HTTP/1.1 400 Bad Request\r\ncontent-length: 5\r\n\r\noops!",
    ]]);
    let mut c = Client::new(addr, Duration::from_secs(5));
    let err = c
        .send_json_ok("PUT", "/logs", &serde_json::json!({}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("400") && err.contains("oops!"), "{err}");
    server.join().unwrap();
}
