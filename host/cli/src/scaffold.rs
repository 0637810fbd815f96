//! `mlc plugin new`: a new plugin crate from the SDK's template (`sdk/template/<kind>/`, built
//! into this binary), with the plugin's name and the SDK's path filled in. It checks the name, the
//! directory and the SDK before it writes anything.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ml_connector_wit::MAX_NAME_LEN;

/// The kinds of plugin `mlc plugin new` makes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    Mapping,
}

/// The SDK of the source tree this mlc was built from, the default of `--sdk`.
const BUILT_WITH_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sdk");
/// The SDK's package name, to recognise its directory.
const SDK_PACKAGE: &str = "ml-connector-sdk";
/// Where the SDK's guide from a new crate to a deployed plugin is, in the SDK directory.
const GUIDE: &str = "GUIDE.md";
/// Crate names cargo refuses or that would shadow a crate the template depends on (as crate
/// names: `-` is `_`).
const TAKEN_NAMES: &str = "abstract alloc as async await become box break build const continue \
    core crate deps do dyn else enum examples extern false final fn for gen if impl in incremental \
    let loop macro match ml_connector_sdk mod move mut override priv proc_macro pub ref return self \
    serde serde_json static std struct super test trait true try type typeof unsafe unsized use \
    virtual where while yield";

/// One file of a template: its path in the new crate and its text, where `{{name}}` stands for
/// the plugin's name and `{{sdk}}` for the SDK's path as a TOML string.
struct TemplateFile {
    path: &'static str,
    text: &'static str,
}

macro_rules! template_file {
    ($path:literal, $source:literal) => {
        TemplateFile {
            path: $path,
            text: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../sdk/template/",
                $source
            )),
        }
    };
}

const MAPPING: &[TemplateFile] = &[
    template_file!("Cargo.toml", "mapping/Cargo.toml.tmpl"),
    template_file!(".gitignore", "mapping/.gitignore"),
    template_file!("src/lib.rs", "mapping/src/lib.rs"),
    template_file!("fixtures/order.json", "mapping/fixtures/order.json"),
];

impl Kind {
    fn files(self) -> &'static [TemplateFile] {
        match self {
            Kind::Mapping => MAPPING,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Mapping => "mapping",
        }
    }
}

/// Writes the `kind` template as crate `name` into `dir` (default `./<name>`) on the SDK at `sdk`
/// (default: the one this mlc was built from), and prints what to do next.
pub fn new_crate(
    kind: Kind,
    name: &str,
    dir: Option<PathBuf>,
    sdk: Option<PathBuf>,
) -> anyhow::Result<()> {
    check_name(name)?;
    let dir = dir.unwrap_or_else(|| PathBuf::from(name));
    check_free(&dir)?;
    let sdk = sdk_dir(sdk)?;
    let mut files = render(kind, name, &sdk)?;
    files.extend(sdk_lockfile(&sdk).map(|lock| ("Cargo.lock", lock)));
    for (path, text) in &files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    print_next_steps(kind, name, &dir, &sdk, &files);
    Ok(())
}

/// A plugin name is also its crate's: lower-case ASCII letters and digits in words joined by
/// single `-`, starting with a letter, and not a name Rust or cargo keeps for itself.
fn check_name(name: &str) -> anyhow::Result<()> {
    let well_formed = name.len() <= MAX_NAME_LEN
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split('-').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !well_formed {
        bail!(
            "`{name}` is not a plugin name: use lower-case letters and digits, words joined by \
             single `-`, starting with a letter and at most {MAX_NAME_LEN} characters, e.g. \
             `acme-invoices`"
        );
    }
    let crate_name = name.replace('-', "_");
    if TAKEN_NAMES
        .split_whitespace()
        .any(|taken| taken == crate_name)
    {
        bail!(
            "`{name}` is taken by Rust, cargo or a crate the plugin depends on; choose another \
             name, e.g. `acme-{name}`"
        );
    }
    Ok(())
}

/// The crate's directory must not exist yet, or be empty.
fn check_free(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(dir).with_context(|| {
        format!(
            "{} exists and is not a directory; choose another with --dir DIR",
            dir.display()
        )
    })?;
    if entries.next().is_some() {
        bail!(
            "{} exists and is not empty; choose another directory with --dir DIR (nothing was \
             written)",
            dir.display()
        );
    }
    Ok(())
}

/// The SDK directory, canonical: `given`, else the one this mlc was built from.
fn sdk_dir(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    const FIX: &str = "pass --sdk DIR, the sdk/ directory of an ml-connector checkout";
    let (dir, what) = match given {
        Some(dir) => (dir, "--sdk"),
        None => (
            PathBuf::from(BUILT_WITH_SDK),
            "the SDK this mlc was built from",
        ),
    };
    let dir = dir
        .canonicalize()
        .map_err(|error| anyhow::anyhow!("{what}: {}: {error}; {FIX}", dir.display()))?;
    let manifest = dir.join("Cargo.toml");
    let package = std::fs::read_to_string(&manifest)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|table| {
            table
                .get("package")?
                .get("name")?
                .as_str()
                .map(str::to_owned)
        });
    if package.as_deref() != Some(SDK_PACKAGE) {
        bail!(
            "{what}: {} is not the ml-connector SDK (no Cargo.toml of package `{SDK_PACKAGE}`); \
             {FIX}",
            dir.display()
        );
    }
    Ok(dir)
}

/// The lockfile of the SDK's workspace, if it has one. The new crate starts from it, so it builds
/// with the dependency versions the SDK was tested with (offline, when they are in cargo's cache);
/// cargo drops the entries the crate does not need.
fn sdk_lockfile(sdk: &Path) -> Option<String> {
    std::fs::read_to_string(sdk.parent()?.join("Cargo.lock")).ok()
}

/// The template's files, placeholders filled in: (path in the crate, text).
fn render(kind: Kind, name: &str, sdk: &Path) -> anyhow::Result<Vec<(&'static str, String)>> {
    let sdk = sdk
        .to_str()
        .with_context(|| format!("the SDK's path {} is not UTF-8", sdk.display()))?;
    let sdk = toml::Value::String(sdk.to_owned()).to_string();
    Ok(kind
        .files()
        .iter()
        .map(|file| {
            let text = file.text.replace("{{name}}", name).replace("{{sdk}}", &sdk);
            (file.path, text)
        })
        .collect())
}

fn print_next_steps(
    kind: Kind,
    name: &str,
    dir: &Path,
    sdk: &Path,
    files: &[(&'static str, String)],
) {
    let paths: Vec<&str> = files.iter().map(|(path, _)| *path).collect();
    println!(
        "created {} plugin `{name}` in {}: {}",
        kind.as_str(),
        dir.display(),
        paths.join(", ")
    );
    println!("on the SDK at {}\n\nnext:", sdk.display());
    println!("  cd {}", dir.display());
    println!("  cargo test          # the plugin's unit tests, natively");
    println!("  mlc plugin build    # the component: target/plugins/{name}.wasm");
    println!("  mlc plugin install target/plugins/{name}.wasm --config PATH/mlc.toml");
    println!(
        "then name it in a flow of mlc.toml: `mapping = \"{name}\"`; the guide: {}",
        sdk.join(GUIDE).display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lower_case_words_joined_by_dashes() {
        for good in ["acme-invoices", "m", "orders2gl", "a-1-b"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Acme",
            "acme_invoices",
            "1acme",
            "acme-",
            "-acme",
            "acme--x",
            "acme x",
            "acmé",
            &"a".repeat(MAX_NAME_LEN + 1),
        ] {
            let error = check_name(bad).unwrap_err().to_string();
            assert!(error.contains("is not a plugin name"), "{bad}: {error}");
        }
        for taken in ["fn", "test", "serde-json", "ml-connector-sdk", "build"] {
            let error = check_name(taken).unwrap_err().to_string();
            assert!(error.contains("is taken"), "{taken}: {error}");
        }
    }

    #[test]
    fn every_placeholder_is_filled_and_the_manifest_names_crate_and_sdk() {
        let sdk = Path::new("/opt/ml \"connector\"\\sdk");
        let files = render(Kind::Mapping, "acme-invoices", sdk).unwrap();

        for (path, text) in &files {
            assert!(!text.contains("{{"), "{path} keeps a placeholder");
        }
        let manifest = &files
            .iter()
            .find(|(path, _)| *path == "Cargo.toml")
            .unwrap()
            .1;
        let manifest: toml::Table = manifest.parse().unwrap();
        assert_eq!(manifest["package"]["name"].as_str(), Some("acme-invoices"));
        assert_eq!(
            manifest["dependencies"][SDK_PACKAGE]["path"].as_str(),
            sdk.to_str()
        );
        assert!(manifest.contains_key("workspace"));
        let workspace: toml::Table =
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml"))
                .parse()
                .unwrap();
        assert_eq!(
            manifest["profile"]["plugin"], workspace["profile"]["plugin"],
            "the template builds with the workspace's plugin profile (and so shares its standard library build)"
        );
    }

    #[test]
    fn the_default_sdk_is_the_source_tree_s() {
        let sdk = sdk_dir(None).unwrap();
        assert!(sdk.join("src/lib.rs").is_file());
        let error = sdk_dir(Some(sdk.join("src"))).unwrap_err().to_string();
        assert!(error.contains("is not the ml-connector SDK"), "{error}");
        assert!(error.contains("--sdk DIR"), "{error}");
    }
}
