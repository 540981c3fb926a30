//! The binary's subcommands and start-up validation, run as a user would.

use std::process::Command;

use uuid::Uuid;

use crate::helpers::spawn_app;

fn mainstay() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mainstay"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn temp_db() -> (String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("mainstay-cli-{}", Uuid::now_v7().simple()));
    let path = dir.join("nested").join("m.db");
    (format!("sqlite://{}", path.display()), dir)
}

#[tokio::test]
async fn openapi_prints_the_document_the_server_serves() {
    let out = mainstay().arg("openapi").output().unwrap();
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let app = spawn_app().await;
    let served: serde_json::Value = app.spec().await;
    assert_eq!(printed, served);
}

#[test]
fn migrate_creates_the_sqlite_file_and_its_directory() {
    let (url, dir) = temp_db();
    let out = mainstay()
        .args(["migrate"])
        .env("MAINSTAY_ENV", "test")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("nested").join("m.db").exists());
    // Running it again is a no-op, not an error.
    let again = mainstay()
        .args(["migrate"])
        .env("MAINSTAY_ENV", "test")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(again.status.success());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn production_refuses_to_start_without_a_real_jwt_secret() {
    let (url, dir) = temp_db();
    for secret in [
        None,
        Some("short"),
        Some("insecure-development-secret-change-me"),
    ] {
        let mut cmd = mainstay();
        cmd.args(["migrate"])
            .env("MAINSTAY_ENV", "production")
            .env("DATABASE_URL", &url);
        if let Some(s) = secret {
            cmd.env("JWT_SECRET", s);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success(), "{secret:?} accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("JWT_SECRET"), "{stderr}");
    }
    let ok = mainstay()
        .args(["migrate"])
        .env("MAINSTAY_ENV", "production")
        .env("DATABASE_URL", &url)
        .env("JWT_SECRET", "0123456789abcdef0123456789abcdef")
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn bad_configuration_is_refused_with_a_clear_message() {
    let out = mainstay()
        .args(["migrate"])
        .env("MAINSTAY_ENV", "test")
        .env("MAINSTAY__SERVER__PORT", "not-a-port")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("port"));

    let out = mainstay()
        .args(["migrate"])
        .env("MAINSTAY_ENV", "staging")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("MAINSTAY_ENV"));

    let out = mainstay()
        .args(["migrate"])
        .env("MAINSTAY_ENV", "test")
        .env("DATABASE_URL", "mysql://root:pw@localhost/x")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("DATABASE_URL"),
        "{stderr}"
    );
    assert!(!stderr.contains(":pw@"), "password leaked: {stderr}");
}

#[test]
fn an_unknown_command_prints_usage_and_exits_2() {
    let out = mainstay().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage"));
}
