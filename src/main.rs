//! The `mainstay` binary: `serve` (default), `migrate`, `openapi`.

use std::process::ExitCode;

use mainstay::{
    platform::{
        config::{Settings, redact_url},
        db, telemetry,
    },
    startup::{self, Application},
};

const USAGE: &str = "\
Usage: mainstay [COMMAND]

Commands:
  serve     Apply pending migrations and serve the API (default)
  migrate   Apply pending migrations, then exit
  openapi   Print the OpenAPI document (JSON) to stdout
  healthcheck
            Exit 0 if GET /health on this host's PORT answers 200 (container probe)
  help      Show this message

Configuration: config/default.toml < config/$MAINSTAY_ENV.toml < MAINSTAY__SECTION__KEY,
plus DATABASE_URL, REDIS_URL, JWT_SECRET, HOST and PORT (see README.md).";

/// glibc gives each thread that allocates under contention an arena of its
/// own (up to eight per core), and every arena keeps the memory freed into it:
/// that was a third of the idle RSS and a fifth of the peak. Two arenas, one
/// per worker on the two-core target, cost no measurable throughput
/// (`bench/RESULTS.md`). `MALLOC_ARENA_MAX` in the environment still wins.
/// Runs before the server starts any thread.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn cap_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator tunable; no other thread
        // exists yet to race with it.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn cap_malloc_arenas() {}

#[actix_web::main]
async fn main() -> ExitCode {
    cap_malloc_arenas();
    let _ = dotenvy::dotenv();
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    let result = match command.as_str() {
        "serve" => serve().await,
        "migrate" => migrate().await,
        "openapi" => print_openapi(),
        "healthcheck" => healthcheck(),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        "--version" | "-V" => {
            println!("mainstay {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        other => {
            eprintln!("unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_settings() -> anyhow::Result<Settings> {
    let settings = Settings::load()?;
    telemetry::init_subscriber(&settings.telemetry);
    Ok(settings)
}

async fn serve() -> anyhow::Result<()> {
    let settings = load_settings()?;
    let env = settings.environment;
    let database = redact_url(&settings.database.url);
    let host = settings.server.host.clone();
    let app = Application::build(settings).await?;
    let shown_host = if host == "0.0.0.0" || host == "::" {
        "localhost"
    } else {
        host.as_str()
    };
    let base = format!("http://{shown_host}:{}", app.port());
    let demo = mainstay::modules::auth::api::ensure_demo_organization(app.state()).await?;
    tracing::info!(
        environment = %env,
        database = %database,
        cache = app.state().cache.backend_name(),
        "Mainstay listening on {base} (bound to {host}); Swagger UI at {base}/docs/, spec at {base}{}",
        startup::OPENAPI_PATH
    );
    if let Some(demo) = demo {
        // After the migrations and the "listening" line, as a plain block that
        // stands out in any log (no colour codes): the password is shown once.
        tracing::warn!(email = %demo.email, "created the demo organization (credentials below)");
        println!(
            "{}",
            demo_banner(&demo.email, &demo.password, &base, &database)
        );
    }
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

/// The block that shows the demo organization's credentials.
fn demo_banner(email: &str, password: &str, base: &str, database: &str) -> String {
    let rule = "=".repeat(72);
    format!(
        "\n{rule}\n  DEMO ORGANIZATION (development, empty database); shown only now\n\n\
         \x20   email:     {email}\n\
         \x20   password:  {password}\n\n\
         \x20 Sign in:     POST {base}/api/v1/auth/login\n\
         \x20 Swagger UI:  {base}/docs/  (Authorize with the access_token)\n\
         \x20 Lost them?   POST {base}/api/v1/auth/forgot-password with the email:\n\
         \x20              the reset mail is printed in this log (no SMTP set);\n\
         \x20              or delete {database} and start again.\n{rule}\n"
    )
}

async fn migrate() -> anyhow::Result<()> {
    let settings = load_settings()?;
    let conn = db::connect(&settings.database).await?;
    db::migrate(&conn).await?;
    tracing::info!(database = %redact_url(&settings.database.url), "migrations applied");
    Ok(())
}

fn print_openapi() -> anyhow::Result<()> {
    let doc = mainstay::platform::openapi::finished(startup::openapi());
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}

/// A dependency-free probe for the container's HEALTHCHECK: the image ships
/// no curl, so the binary asks itself.
fn healthcheck() -> anyhow::Result<()> {
    use std::{
        io::{Read, Write},
        net::TcpStream,
        time::Duration,
    };
    // Only the port matters here; a full settings load would fail the probe
    // over unrelated values.
    let port = std::env::var("PORT")
        .or_else(|_| std::env::var("MAINSTAY__SERVER__PORT"))
        .unwrap_or_else(|_| "8080".into());
    let addr = format!("127.0.0.1:{}", port.trim());
    let timeout = Duration::from_secs(3);
    let mut stream = TcpStream::connect_timeout(&addr.parse()?, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    if head.starts_with(b"HTTP/1.1 200") {
        Ok(())
    } else {
        anyhow::bail!("unhealthy: {}", String::from_utf8_lossy(&head))
    }
}
