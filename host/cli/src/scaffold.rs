//! `mlc plugin new`: a new plugin project from the SDK's template for its language
//! (`sdk/template/<kind>[-<language>]/`, built into this binary), with the plugin's name (and, for
//! Rust, the SDK's path) filled in; a JavaScript or Python project also gets the contract's WIT in
//! `wit/`, which its toolchain builds against. It checks the name, the directory and the SDK
//! before it writes anything.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ml_connector_wit::MAX_NAME_LEN;

/// The kinds of plugin `mlc plugin new` makes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    Mapping,
}

/// The languages `mlc plugin new` writes a plugin in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Js,
    Python,
}

/// The SDK of the source tree this mlc was built from, the default of `--sdk`.
const BUILT_WITH_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sdk");
/// The SDK's package name, to recognise its directory.
const SDK_PACKAGE: &str = "ml-connector-sdk";
/// Where the SDK's guide from a new plugin to a deployed one is, in the SDK directory.
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

/// The sample order every language's unit tests map.
const ORDER_FIXTURE: TemplateFile =
    template_file!("fixtures/order.json", "mapping/fixtures/order.json");

const MAPPING_RUST: &[TemplateFile] = &[
    template_file!("Cargo.toml", "mapping/Cargo.toml.tmpl"),
    template_file!(".gitignore", "mapping/.gitignore"),
    template_file!("src/lib.rs", "mapping/src/lib.rs"),
    ORDER_FIXTURE,
];

const MAPPING_JS: &[TemplateFile] = &[
    template_file!("package.json", "mapping-js/package.json.tmpl"),
    template_file!(".gitignore", "mapping-js/.gitignore"),
    template_file!("src/plugin.js", "mapping-js/src/plugin.js"),
    template_file!("src/invoices.js", "mapping-js/src/invoices.js"),
    template_file!("src/types.d.ts", "mapping-js/src/types.d.ts"),
    template_file!("test/invoices.test.js", "mapping-js/test/invoices.test.js"),
    ORDER_FIXTURE,
];

const MAPPING_PYTHON: &[TemplateFile] = &[
    template_file!("pyproject.toml", "mapping-python/pyproject.toml.tmpl"),
    template_file!(".gitignore", "mapping-python/.gitignore"),
    template_file!("app.py", "mapping-python/app.py"),
    template_file!("invoices.py", "mapping-python/invoices.py"),
    template_file!("test_invoices.py", "mapping-python/test_invoices.py"),
    ORDER_FIXTURE,
];

impl Kind {
    fn files(self, lang: Lang) -> &'static [TemplateFile] {
        match (self, lang) {
            (Kind::Mapping, Lang::Rust) => MAPPING_RUST,
            (Kind::Mapping, Lang::Js) => MAPPING_JS,
            (Kind::Mapping, Lang::Python) => MAPPING_PYTHON,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Mapping => "mapping",
        }
    }
}

/// Writes the `kind` template in `lang` as plugin `name` into `dir` (default `./<name>`); a Rust
/// crate depends on the SDK at `sdk` (default: the one this mlc was built from). Prints what to
/// do next.
pub fn new_project(
    kind: Kind,
    lang: Lang,
    name: &str,
    dir: Option<PathBuf>,
    sdk: Option<PathBuf>,
) -> anyhow::Result<()> {
    check_name(name)?;
    let dir = dir.unwrap_or_else(|| PathBuf::from(name));
    check_free(&dir)?;
    let sdk = match lang {
        Lang::Rust => Some(sdk_dir(sdk)?),
        Lang::Js | Lang::Python => None,
    };
    let mut files = render(kind.files(lang), name, sdk.as_deref())?;
    match &sdk {
        Some(sdk) => files.extend(sdk_lockfile(sdk).map(|lock| ("Cargo.lock".to_owned(), lock))),
        None => files.extend(contract_wit()),
    }
    for (path, text) in &files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    print_next_steps(kind, lang, name, &dir, sdk.as_deref(), &files);
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

/// The template's files, placeholders filled in: (path in the project, text). `{{sdk}}` is the
/// SDK's path as a TOML string (Rust only).
fn render(
    files: &[TemplateFile],
    name: &str,
    sdk: Option<&Path>,
) -> anyhow::Result<Vec<(String, String)>> {
    let sdk = match sdk {
        Some(sdk) => {
            let sdk = sdk
                .to_str()
                .with_context(|| format!("the SDK's path {} is not UTF-8", sdk.display()))?;
            toml::Value::String(sdk.to_owned()).to_string()
        }
        None => String::new(),
    };
    Ok(files
        .iter()
        .map(|file| {
            let text = file.text.replace("{{name}}", name).replace("{{sdk}}", &sdk);
            (file.path.to_owned(), text)
        })
        .collect())
}

/// The WIT of the contract plugins are built for today, under `wit/` as one folder that stands
/// alone (the `ml-connector:plugin` package, its dependencies under `wit/deps/`).
fn contract_wit() -> Vec<(String, String)> {
    let contract = ml_connector_wit::current();
    contract
        .packages
        .iter()
        .flat_map(|package| package.iter())
        .map(|file| {
            let inside = file
                .path
                .strip_prefix(contract.folder)
                .unwrap_or(file.path)
                .trim_start_matches('/');
            (format!("wit/{inside}"), file.text.to_owned())
        })
        .collect()
}

fn print_next_steps(
    kind: Kind,
    lang: Lang,
    name: &str,
    dir: &Path,
    sdk: Option<&Path>,
    files: &[(String, String)],
) {
    let paths: Vec<&str> = files
        .iter()
        .map(|(path, _)| path.as_str())
        .filter(|path| !path.starts_with("wit/"))
        .collect();
    let wit = match lang {
        Lang::Rust => String::new(),
        Lang::Js | Lang::Python => " and the contract's WIT in wit/".to_owned(),
    };
    println!(
        "created {} plugin `{name}` in {}: {}{wit}",
        kind.as_str(),
        dir.display(),
        paths.join(", ")
    );
    if let Some(sdk) = sdk {
        println!("on the SDK at {}", sdk.display());
    }
    println!("\nnext:");
    println!("  cd {}", dir.display());
    match lang {
        Lang::Rust => {
            println!("  cargo test          # the plugin's unit tests, natively");
            println!("  mlc plugin build    # the component: target/plugins/{name}.wasm");
        }
        Lang::Js => {
            println!("  npm test            # the plugin's unit tests, in Node");
            println!(
                "  mlc plugin build    # installs componentize-js (once), builds target/plugins/{name}.wasm"
            );
        }
        Lang::Python => {
            println!(
                "  mlc plugin build    # installs componentize-py (once), writes bindings/, builds target/plugins/{name}.wasm"
            );
            println!("  python3 -m unittest # the plugin's unit tests, natively");
        }
    }
    println!("  mlc plugin install target/plugins/{name}.wasm --config PATH/mlc.toml");
    let sdk = sdk.map(Path::to_path_buf).unwrap_or_else(|| {
        let built_with = PathBuf::from(BUILT_WITH_SDK);
        built_with.canonicalize().unwrap_or(built_with)
    });
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
        let files = render(Kind::Mapping.files(Lang::Rust), "acme-invoices", Some(sdk)).unwrap();

        for (path, text) in &files {
            assert!(!text.contains("{{"), "{path} keeps a placeholder");
        }
        let manifest = &files
            .iter()
            .find(|(path, _)| path == "Cargo.toml")
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
    fn a_js_or_python_project_names_its_plugin_and_carries_the_contract_s_wit() {
        let js = render(Kind::Mapping.files(Lang::Js), "acme-invoices", None).unwrap();
        let manifest = &js
            .iter()
            .find(|(path, _)| path == "package.json")
            .unwrap()
            .1;
        let manifest: serde_json::Value = serde_json::from_str(manifest).unwrap();
        assert_eq!(manifest["name"], "acme-invoices");
        let python = render(Kind::Mapping.files(Lang::Python), "acme-invoices", None).unwrap();
        let manifest = &python
            .iter()
            .find(|(path, _)| path == "pyproject.toml")
            .unwrap()
            .1;
        let manifest: toml::Table = manifest.parse().unwrap();
        assert_eq!(manifest["project"]["name"].as_str(), Some("acme-invoices"));
        for (path, text) in js.iter().chain(&python) {
            assert!(!text.contains("{{"), "{path} keeps a placeholder");
        }

        let wit = contract_wit();
        let worlds = wit
            .iter()
            .find(|(path, _)| path == "wit/worlds.wit")
            .unwrap();
        assert!(worlds.1.contains("world mapping"));
        assert!(wit.iter().any(|(path, _)| path == "wit/deps/host/log.wit"));
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
