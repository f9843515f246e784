//! A corpus of broken model files: each must be refused with a message that names the file,
//! the line and what is wrong. The first line of each file says what the message must contain.

use std::path::Path;

use osteosim_engine::format::SourceFile;
use osteosim_engine::Model;

const MANIFEST: &str = r#"[model]
name = "broken"
time_unit = "day"
layers = ["layer.toml"]
"#;

fn check(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let expect = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# expect: "))
        .ok_or("first line must be `# expect: ...`")?
        .to_string();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let layer = SourceFile::new(name, text.clone());
    match Model::from_sources(SourceFile::new("model.toml", MANIFEST), vec![layer]) {
        Ok(_) => Err(format!("{name}: loaded, but should fail with `{expect}`")),
        Err(errors) => {
            let message = errors.to_string();
            if !message.contains(&expect) {
                return Err(format!(
                    "{name}: message does not contain `{expect}`:\n{message}"
                ));
            }
            // Every error names the file and a line inside it.
            for e in &errors.0 {
                let o = e.origin();
                if o.file != name || o.line == 0 || o.line > text.lines().count() {
                    return Err(format!("{name}: error without a valid position: {e}"));
                }
            }
            Ok(())
        }
    }
}

#[test]
fn every_broken_model_is_refused_with_its_message_and_position() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("broken");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 25, "the corpus has {} files", files.len());
    let failures: Vec<String> = files.iter().filter_map(|p| check(p).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn errors_report_the_line_of_the_offending_declaration() {
    let layer = "[layer]\nname = \"l\"\n\n[states.x]\nunit = \"mg\"\ninitial = 1.0\n\n[processes.loss]\nrate = \"kk * x\"\nconsumes = [\"x\"]\n";
    let err = Model::from_sources(
        SourceFile::new("model.toml", MANIFEST),
        vec![SourceFile::new("layer.toml", layer)],
    )
    .expect_err("unknown name");
    assert_eq!(err.0.len(), 1, "{err}");
    assert!(
        err.0[0]
            .to_string()
            .starts_with("layer.toml:9: in `loss`: unknown name `kk`"),
        "{}",
        err.0[0]
    );
}

#[test]
fn a_missing_layer_file_names_the_manifest_line() {
    let dir = std::env::temp_dir().join(format!("osteosim-missing-layer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("model.toml"),
        "[model]\nname = \"m\"\ntime_unit = \"day\"\nlayers = [\n  \"absent.toml\",\n]\n",
    )
    .expect("write");
    let err = Model::load(&dir).expect_err("missing layer");
    let _ = std::fs::remove_dir_all(&dir);
    let text = err.to_string();
    assert!(
        text.contains("model.toml:5") && text.contains("absent.toml"),
        "{text}"
    );
}

#[test]
fn a_time_unit_that_is_not_time_is_refused() {
    let manifest = "[model]\nname = \"m\"\ntime_unit = \"mg\"\nlayers = [\"l.toml\"]\n";
    let err = Model::from_sources(
        SourceFile::new("model.toml", manifest),
        vec![SourceFile::new("l.toml", "[layer]\nname = \"l\"\n")],
    )
    .expect_err("bad time unit");
    assert!(err.to_string().contains("not a unit of time"), "{err}");
}

#[test]
fn layer_paths_stay_inside_the_model_directory() {
    let dir = std::env::temp_dir().join(format!("osteosim-escaping-layer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for layer in ["../../../../etc/passwd", "/etc/passwd"] {
        std::fs::write(
            dir.join("model.toml"),
            format!("[model]\nname = \"m\"\ntime_unit = \"day\"\nlayers = [\"{layer}\"]\n"),
        )
        .expect("write");
        let err = Model::load(&dir).expect_err("a layer outside the directory");
        assert!(
            err.to_string().contains("leaves the model directory"),
            "{layer}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn only_regular_files_of_bounded_size_are_read() {
    use osteosim_engine::format::{read_input_file, MAX_INPUT_BYTES};
    let dir = std::env::temp_dir().join(format!("osteosim-input-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    assert!(read_input_file(&dir)
        .unwrap_err()
        .contains("is a directory"));
    let big = dir.join("big.toml");
    let file = std::fs::File::create(&big).expect("create");
    file.set_len(MAX_INPUT_BYTES + 1).expect("sparse file");
    assert!(read_input_file(&big)
        .unwrap_err()
        .contains("larger than 16 MiB"));
    let ok = dir.join("ok.toml");
    std::fs::write(&ok, "x = 1\n").expect("write");
    assert_eq!(read_input_file(&ok).as_deref(), Ok("x = 1\n"));
    #[cfg(unix)]
    {
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // Refused without opening it: opening a FIFO would block.
            assert!(read_input_file(&fifo)
                .unwrap_err()
                .contains("not a regular file"));
        }
        assert!(read_input_file(Path::new("/dev/zero"))
            .unwrap_err()
            .contains("not a regular file"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_layer_that_does_not_parse_is_reported_before_the_names_it_leaves_unknown() {
    let manifest =
        "[model]\nname = \"m\"\ntime_unit = \"day\"\nlayers = [\"a.toml\", \"z.toml\"]\n";
    // `a.toml` uses `k`, which `z.toml` would declare but cannot: it is not TOML.
    let a = "[layer]\nname = \"a\"\n[states.x]\nunit = \"mg\"\ninitial = 1\n[processes.loss]\nrate = \"k * x\"\nconsumes = [\"x\"]\n";
    let z = "[layer]\nname = \"z\"\n[parameters.k\nvalue = 0.1\n";
    let err = Model::from_sources(
        SourceFile::new("model.toml", manifest),
        vec![SourceFile::new("a.toml", a), SourceFile::new("z.toml", z)],
    )
    .expect_err("a broken layer");
    let first = err.0.first().map(|e| e.to_string()).unwrap_or_default();
    assert!(first.starts_with("z.toml:3"), "root cause first:\n{err}");
}
