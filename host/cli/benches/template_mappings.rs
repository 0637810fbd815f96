//! `map()` per call for the mapping template in each language, side by side, in one run:
//! `cargo bench -p ml-connector-cli --bench template_mappings`. It makes each template with
//! `mlc plugin new mapping bench-<lang> --lang <lang>` under `target/bench-templates/` (kept, so a
//! second run reuses the projects and their toolchains), builds it with `mlc plugin build`, loads
//! the three components into one host and times instantiate + `map` of the templates' sample
//! order (each call a fresh instance, as the flow engine makes). Prints mean, p50 and p99 per
//! language and a last line `summary key=value …`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mlc_host::Host;
use mlc_host::types::{Entity, Event};

const WARMUP: usize = 20;
const CALLS: usize = 300;
const LANGUAGES: &[&str] = &["rust", "js", "python"];
const CONFIG: &str = r#"{"customer_id":"C-WEB","revenue_account":"4000"}"#;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = workspace.join("target/bench-templates");
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins)?;
    for lang in LANGUAGES {
        let started = Instant::now();
        build_template(&dir, &plugins, lang)?;
        eprintln!("{lang}: built in {:.1?}", started.elapsed());
    }

    let host = Host::builder()
        .cache_dir(plugins.join(".compiled"))
        .build()?;
    let loading = Instant::now();
    host.load_plugin_dir(&plugins).await?;
    eprintln!("loaded (compiled or cached) in {:.1?}", loading.elapsed());
    let order =
        std::fs::read_to_string(workspace.join("sdk/template/mapping/fixtures/order.json"))?;
    let event = Event {
        key: "evt-1".into(),
        topic: "orders/create".into(),
        reference: "5821001234567890123".into(),
        occurred_at: None,
        payload: None,
    };
    let records = [Entity {
        kind: "shopify.order".into(),
        id: "5821001234567890123".into(),
        body: order,
    }];

    println!(
        "instantiate + map() of the template's sample order, {CALLS} calls each (after {WARMUP} warm-up calls)"
    );
    println!(
        "{:<8} {:>10} {:>10} {:>10} {:>10}",
        "language", "size", "mean", "p50", "p99"
    );
    let mut summary = Vec::new();
    for lang in LANGUAGES {
        let name = format!("bench-{lang}");
        let size = std::fs::metadata(plugins.join(format!("{name}.wasm")))?.len();
        let mapping = host.mapping(&name, Default::default())?;
        let first = mapping.map(&event, &records, CONFIG).await.result?;
        anyhow::ensure!(
            first.len() == 1,
            "{lang}: expected one invoice, got {first:?}"
        );
        let mut times = Vec::with_capacity(CALLS);
        for call in 0..WARMUP + CALLS {
            let started = Instant::now();
            mapping.map(&event, &records, CONFIG).await.result?;
            if call >= WARMUP {
                times.push(started.elapsed());
            }
        }
        times.sort();
        let at = |quantile: f64| times[((times.len() - 1) as f64 * quantile) as usize];
        let mean = times.iter().sum::<Duration>() / times.len() as u32;
        println!(
            "{lang:<8} {:>8.1}MB {mean:>10.2?} {:>10.2?} {:>10.2?}",
            size as f64 / 1e6,
            at(0.5),
            at(0.99)
        );
        summary.push(format!(
            "{lang}_p50_ms={:.3} {lang}_p99_ms={:.3}",
            at(0.5).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3
        ));
    }
    println!("summary {}", summary.join(" "));
    Ok(())
}

/// `mlc plugin new` (once) and `mlc plugin build` of the template in `lang`, its component copied
/// into `plugins`.
fn build_template(dir: &Path, plugins: &Path, lang: &str) -> anyhow::Result<()> {
    let name = format!("bench-{lang}");
    let project = dir.join(&name);
    if !project.exists() {
        mlc(dir, &["plugin", "new", "mapping", &name, "--lang", lang])?;
    }
    mlc(&project, &["plugin", "build"])?;
    let built = project.join(format!("target/plugins/{name}.wasm"));
    std::fs::copy(&built, plugins.join(format!("{name}.wasm")))?;
    Ok(())
}

/// Runs `mlc` in `dir`; Rust builds share the guide's cargo target directory.
fn mlc(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let target: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/guide");
    let status = Command::new(env!("CARGO_BIN_EXE_mlc"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .status()?;
    anyhow::ensure!(status.success(), "mlc {args:?} in {} failed", dir.display());
    Ok(())
}
