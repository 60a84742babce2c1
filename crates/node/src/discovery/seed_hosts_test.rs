use super::seed_hosts::*;
use std::time::Duration;

fn host(h: &str, port: u16) -> SeedHost {
    SeedHost {
        host: h.into(),
        port,
    }
}

#[test]
fn parses_host_host_port_and_bracketed_ipv6() {
    assert_eq!(parse_seed_host("es1", 9300), Ok(host("es1", 9300)));
    assert_eq!(parse_seed_host(" es1:9305 ", 9300), Ok(host("es1", 9305)));
    assert_eq!(
        parse_seed_host("10.0.0.1", 9400),
        Ok(host("10.0.0.1", 9400))
    );
    assert_eq!(parse_seed_host("[::1]:9301", 9300), Ok(host("::1", 9301)));
    assert_eq!(
        parse_seed_host("[fe80::1]", 9300),
        Ok(host("fe80::1", 9300))
    );
    assert_eq!(parse_seed_host("es1:", 9300), Ok(host("es1", 9300)));
}

#[test]
fn rejects_malformed_entries() {
    assert_eq!(parse_seed_host("  ", 9300), Err(SeedHostError::Empty));
    assert_eq!(parse_seed_host(":9300", 9300), Err(SeedHostError::Empty));
    assert!(matches!(
        parse_seed_host("::1", 9300),
        Err(SeedHostError::UnbracketedIpv6 { .. })
    ));
    assert!(matches!(
        parse_seed_host("[::1", 9300),
        Err(SeedHostError::InvalidBracketed { .. })
    ));
    assert!(matches!(
        parse_seed_host("[es1]:9300", 9300),
        Err(SeedHostError::InvalidBracketed { .. })
    ));
    assert!(matches!(
        parse_seed_host("[::1]9300", 9300),
        Err(SeedHostError::InvalidBracketed { .. })
    ));
    for bad in ["es1:http", "es1:70000", "es1:0", "es1:9300-9305"] {
        assert!(
            matches!(
                parse_seed_host(bad, 9300),
                Err(SeedHostError::InvalidPort { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn addresses_bracket_ipv6() {
    assert_eq!(host("::1", 9300).to_address(), "[::1]:9300");
    assert_eq!(host("es1", 9300).to_address(), "es1:9300");
}

#[test]
fn unicast_hosts_file_skips_blanks_and_comments() {
    let text = "# seeds\n10.0.0.1\n\n  10.0.0.2:9305  \n   # indented comment\n[::1]:9300\r\n";
    assert_eq!(
        parse_unicast_hosts_file(text),
        vec!["10.0.0.1", "10.0.0.2:9305", "[::1]:9300"]
    );
}

#[test]
fn unconfigured_discovery_probes_six_local_ports() {
    let hosts = default_local_seed_hosts(9300);
    assert_eq!(hosts.len(), 12);
    assert_eq!(hosts[0], host("127.0.0.1", 9300));
    assert_eq!(hosts[5], host("127.0.0.1", 9305));
    assert_eq!(hosts[11], host("::1", 9305));
    assert_eq!(default_local_seed_hosts(u16::MAX).len(), 2);
}

#[test]
fn file_provider_rereads_when_the_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(UNICAST_HOSTS_FILE);
    let mut provider = SeedHostsProvider::new(vec!["es0".into()], true, dir.path());
    assert_eq!(
        provider.current_entries(),
        vec!["es0"],
        "missing file: no entries"
    );

    std::fs::write(&path, "es1\n").unwrap();
    assert_eq!(provider.current_entries(), vec!["es0", "es1"]);

    // A different length is noticed even when the clock did not tick between the writes.
    std::fs::write(&path, "es1\nes2:9301\n").unwrap();
    assert_eq!(provider.current_entries(), vec!["es0", "es1", "es2:9301"]);

    // Same length, new modification time.
    std::fs::write(&path, "es3\nes4:9301\n").unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(std::time::SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    assert_eq!(provider.current_entries(), vec!["es0", "es3", "es4:9301"]);

    std::fs::remove_file(&path).unwrap();
    assert_eq!(provider.current_entries(), vec!["es0"]);
}

#[test]
fn file_provider_disabled_ignores_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(UNICAST_HOSTS_FILE), "es1\n").unwrap();
    let mut provider = SeedHostsProvider::new(vec![], false, dir.path());
    assert!(provider.current_entries().is_empty());
}

#[tokio::test]
async fn resolution_uses_default_port_drops_local_duplicates_and_bad_entries() {
    let entries: Vec<String> = [
        "127.0.0.1",
        "127.0.0.1:9300",
        "[::1]:9301",
        "10.0.0.9:9300",
        "bad:port",
        "localhost:9302",
        "no-such-host.invalid",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let resolved = resolve_seed_hosts(
        &entries,
        9300,
        Duration::from_secs(5),
        4,
        &["10.0.0.9:9300".to_string()],
    )
    .await;
    assert_eq!(&resolved[..2], &["127.0.0.1:9300", "[::1]:9301"]);
    assert!(!resolved.contains(&"10.0.0.9:9300".to_string()));
    // `localhost` resolves to at least one loopback address on port 9302.
    assert!(
        resolved[2..].iter().all(|a| a.ends_with(":9302")),
        "{resolved:?}"
    );
    assert!(!resolved[2..].is_empty(), "{resolved:?}");
}
