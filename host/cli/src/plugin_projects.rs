//! `mlc plugin build` for plugin projects in JavaScript or Python, as `mlc plugin new --lang js`
//! or `--lang python` makes them: finding the project, installing its language's toolchain
//! (pinned, from npm or PyPI, into the project) when it is missing, and building its component
//! with componentize-js or componentize-py against the contract's WIT in the project's `wit/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use ml_connector_wit::{NAME_RULE, is_valid_name};

use crate::plugins;

/// The npm package that builds JavaScript components.
const COMPONENTIZE_JS: &str = "@bytecodealliance/componentize-js";
/// The PyPI package that builds Python components.
const COMPONENTIZE_PY: &str = "componentize-py";
/// The WASI features a JavaScript mapping does without: it gets its inputs, the host's log and
/// config, nothing else (the host refuses WASI's network and denies the rest).
const JS_DISABLED_FEATURES: &[&str] = &["stdio", "random", "clocks", "http", "fetch-event"];
/// componentize-py's runtime imports all of WASI (files, sockets, the environment), which the
/// host refuses in part (the network) and denies the rest of; a mapping needs none of it, so the
/// build replaces it with stubs that trap (`print` included: a mapping logs through the host).
const PY_STUB_WASI: &str = "--stub-wasi";
/// The contract's world a project builds for.
const WORLD: &str = "mapping";

/// A project's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    JavaScript,
    Python,
}

/// A plugin project in JavaScript or Python.
#[derive(Debug)]
pub struct Project {
    pub root: PathBuf,
    pub language: Language,
    /// The plugin's name (`package.json`'s or `pyproject.toml`'s).
    pub name: String,
    /// The toolchain version the project pins.
    toolchain: String,
}

impl Project {
    /// The project at `start` or the nearest directory above it: a `wit/` folder beside a
    /// `package.json` (JavaScript) or a `pyproject.toml` with a `[tool.mlc]` table (Python).
    /// `None` when there is none (a Rust workspace or crate, then).
    pub fn find(start: &Path) -> anyhow::Result<Option<Self>> {
        for dir in start.ancestors() {
            if !dir.join("wit").is_dir() {
                continue;
            }
            if dir.join("package.json").is_file() {
                return Self::javascript(dir).map(Some);
            }
            if dir.join("pyproject.toml").is_file() {
                return Self::python(dir).map(Some);
            }
        }
        Ok(None)
    }

    fn javascript(root: &Path) -> anyhow::Result<Self> {
        let path = root.join("package.json");
        let manifest: serde_json::Value = serde_json::from_str(&read(&path)?)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        let name = manifest["name"].as_str().unwrap_or_default().to_owned();
        let toolchain = manifest["devDependencies"][COMPONENTIZE_JS]
            .as_str()
            .with_context(|| {
                format!(
                    "{} has no devDependencies entry for {COMPONENTIZE_JS}: add one with an exact \
                     version, e.g. \"{COMPONENTIZE_JS}\": \"0.23.0\"",
                    path.display()
                )
            })?
            .to_owned();
        Self::checked(root, Language::JavaScript, name, toolchain, &path)
    }

    fn python(root: &Path) -> anyhow::Result<Self> {
        let path = root.join("pyproject.toml");
        let manifest: toml::Table = read(&path)?
            .parse()
            .with_context(|| format!("{} is not TOML", path.display()))?;
        let name = manifest
            .get("project")
            .and_then(|project| project.get("name"))
            .and_then(|name| name.as_str())
            .unwrap_or_default()
            .to_owned();
        let toolchain = manifest
            .get("tool")
            .and_then(|tool| tool.get("mlc"))
            .and_then(|mlc| mlc.get(COMPONENTIZE_PY))
            .and_then(|version| version.as_str())
            .with_context(|| {
                format!(
                    "{} has no `{COMPONENTIZE_PY}` version under [tool.mlc]: add one, e.g. \
                     `{COMPONENTIZE_PY} = \"0.25.1\"`",
                    path.display()
                )
            })?
            .to_owned();
        Self::checked(root, Language::Python, name, toolchain, &path)
    }

    fn checked(
        root: &Path,
        language: Language,
        name: String,
        toolchain: String,
        manifest: &Path,
    ) -> anyhow::Result<Self> {
        if !is_valid_name(&name) {
            bail!(
                "{}: the plugin's name {name:?} is not a plugin name ({NAME_RULE})",
                manifest.display()
            );
        }
        let exact =
            !toolchain.is_empty() && toolchain.chars().all(|c| c.is_ascii_digit() || c == '.');
        if !exact {
            bail!(
                "{}: pin the toolchain to an exact version (found {toolchain:?}), so every build \
                 of the plugin uses the same one",
                manifest.display()
            );
        }
        Ok(Self {
            root: root.to_path_buf(),
            language,
            name,
            toolchain,
        })
    }
}

/// Builds `project` into `out_dir/<name>.wasm`, installing its toolchain first when missing, then
/// loads the component as the host would and prints it.
pub async fn build(project: &Project, out_dir: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    match project.language {
        Language::JavaScript => {
            require(
                "node",
                "Node.js 18 or newer (Debian: apt-get install nodejs npm)",
            )?;
            require("npm", "npm (Debian: apt-get install npm)")?;
        }
        Language::Python => require(
            "python3",
            "Python 3.10 or newer with venv (Debian: apt-get install python3 python3-venv)",
        )?,
    }
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let component = out_dir.join(format!("{}.wasm", project.name));
    match project.language {
        Language::JavaScript => build_javascript(project, &component)?,
        Language::Python => build_python(project, &component)?,
    }
    plugins::check_built(out_dir, &[(project.name.clone(), component)], started).await?;
    Ok(())
}

fn build_javascript(project: &Project, component: &Path) -> anyhow::Result<()> {
    let installed = project
        .root
        .join("node_modules")
        .join(COMPONENTIZE_JS)
        .join("package.json");
    let version = std::fs::read_to_string(&installed)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|manifest| manifest["version"].as_str().map(str::to_owned));
    if version.as_deref() != Some(project.toolchain.as_str()) {
        eprintln!(
            "  installing {COMPONENTIZE_JS} {} from npm into {} (once)",
            project.toolchain,
            project.root.join("node_modules").display()
        );
        run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund"])
                .current_dir(&project.root),
            "npm install",
        )?;
    }
    eprintln!(
        "  componentize-js {}: src/plugin.js → {}",
        project.toolchain,
        component.display()
    );
    run(
        Command::new(project.root.join("node_modules/.bin/componentize-js"))
            .arg("src/plugin.js")
            .args(["--wit", "wit", "--world-name", WORLD, "--disable"])
            .args(JS_DISABLED_FEATURES)
            .arg("--out")
            .arg(component)
            .current_dir(&project.root),
        "componentize-js",
    )
}

fn build_python(project: &Project, component: &Path) -> anyhow::Result<()> {
    let venv = project.root.join(".venv");
    let tool = venv.join("bin").join(COMPONENTIZE_PY);
    let version = Command::new(&tool)
        .arg("--version")
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned());
    let current = version.as_deref().is_some_and(|text| {
        text.split_whitespace()
            .any(|word| word == project.toolchain)
    });
    if !current {
        eprintln!(
            "  installing {COMPONENTIZE_PY} {} from PyPI into {} (once)",
            project.toolchain,
            venv.display()
        );
        run(
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
            "python3 -m venv (Debian: apt-get install python3-venv)",
        )?;
        run(
            Command::new(venv.join("bin/pip"))
                .args(["install", "--disable-pip-version-check", "--quiet"])
                .arg(format!("{COMPONENTIZE_PY}=={}", project.toolchain)),
            "pip install",
        )?;
    }
    let bindings = project.root.join("bindings");
    if bindings.exists() {
        std::fs::remove_dir_all(&bindings)
            .with_context(|| format!("cannot remove {}", bindings.display()))?;
    }
    eprintln!(
        "  componentize-py {}: typed bindings → bindings/",
        project.toolchain
    );
    componentize_py(
        project,
        &tool,
        &["bindings", "bindings"],
        "componentize-py bindings",
    )?;
    eprintln!(
        "  componentize-py {}: app.py → {}",
        project.toolchain,
        component.display()
    );
    let output = component
        .to_str()
        .with_context(|| format!("the component's path {} is not UTF-8", component.display()))?;
    componentize_py(
        project,
        &tool,
        &["componentize", PY_STUB_WASI, "app", "--output", output],
        "componentize-py",
    )
}

/// Runs componentize-py `tool` in the project with the contract's WIT and world, then `args`.
fn componentize_py(
    project: &Project,
    tool: &Path,
    args: &[&str],
    step: &str,
) -> anyhow::Result<()> {
    run(
        Command::new(tool)
            .args(["--wit-path", "wit", "--world", WORLD])
            .args(args)
            .current_dir(&project.root),
        step,
    )
}

/// Fails with what to install when `program` cannot be run.
fn require(program: &str, what: &str) -> anyhow::Result<()> {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        bail!("`{program}` is not installed or not on PATH: this plugin's build needs {what}");
    }
    Ok(())
}

/// Runs a toolchain step, its output on our stderr; fails naming the step.
fn run(command: &mut Command, step: &str) -> anyhow::Result<()> {
    let status = command
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .stderr(std::io::stderr())
        .status()
        .with_context(|| format!("cannot run {step}"))?;
    if !status.success() {
        bail!("{step} failed ({status}); its output is above");
    }
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}
