//! Zip inputs: read in place, wrapped folders found, unsafe entries refused.

use std::io::Write;

use zip::write::SimpleFileOptions;

use crate::harness::Site;

fn write_zip(path: &std::path::Path, entries: &[(&str, &str)], symlinks: &[(&str, &str)]) {
    let mut zip = zip::ZipWriter::new(fs_err::File::create(path).unwrap());
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    for (name, target) in symlinks {
        zip.add_symlink(*name, *target, options).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn a_zip_with_a_wrapping_folder_builds_and_unsafe_entries_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("export.zip");
    let day = r#"[{"type": "message", "user": "U1", "text": "from the zip", "ts": "1583056800.000100"}]"#;
    write_zip(
        &zip,
        &[
            ("Parsec Slack export Jan 2020/channels.json", r#"[{"id": "C1", "name": "general"}]"#),
            ("Parsec Slack export Jan 2020/users.json", r#"[{"id": "U1", "name": "alice"}]"#),
            ("Parsec Slack export Jan 2020/general/2020-03-01.json", day),
            ("../../escape/general/2020-03-02.json", day),
            ("/etc/general/2020-03-03.json", day),
            // Inside the export's folder once the `/` is dropped: still refused.
            ("/Parsec Slack export Jan 2020/general/2020-03-05.json", day),
            ("C:/Parsec Slack export Jan 2020/general/2020-03-06.json", day),
        ],
        &[("Parsec Slack export Jan 2020/general/2020-03-04.json", "/etc/passwd")],
    );
    let site = Site::build(std::slice::from_ref(&zip), &[]);
    assert!(site.page("c/general/2020/03/01/").contains("from the zip"));
    let z = zip.display();
    for warning in [
        format!("warning: {z}: ../../escape/general/2020-03-02.json: path escapes the archive, refused"),
        format!("warning: {z}: Parsec Slack export Jan 2020/general/2020-03-04.json: symlink entry refused"),
        format!("warning: {z}: /etc/general/2020-03-03.json: absolute path, refused"),
        format!(
            "warning: {z}: /Parsec Slack export Jan 2020/general/2020-03-05.json: absolute path, refused"
        ),
        format!(
            "warning: {z}: C:/Parsec Slack export Jan 2020/general/2020-03-06.json: absolute path, refused"
        ),
    ] {
        assert!(site.stderr.contains(&warning), "missing {warning:?} in\n{}", site.stderr);
    }
    assert!(!tmp.path().join("escape").exists() && !site.has_page("c/general/2020/03/02/"));
    assert!(!site.has_page("c/general/2020/03/04/"));
    assert!(!site.has_page("c/general/2020/03/05/") && !site.has_page("c/general/2020/03/06/"));
}

#[cfg(unix)]
#[test]
fn symlinks_in_input_directories_are_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let export = tmp.path().join("export");
    fs_err::create_dir_all(export.join("general")).unwrap();
    fs_err::create_dir_all(tmp.path().join("outside")).unwrap();
    fs_err::write(export.join("channels.json"), r#"[{"id": "C1", "name": "general"}]"#).unwrap();
    fs_err::write(export.join("users.json"), "[]").unwrap();
    let day =
        r#"[{"type": "message", "user": "U1", "text": "outside the input", "ts": "1583056800.000100"}]"#;
    fs_err::write(tmp.path().join("outside/2020-03-01.json"), day).unwrap();
    std::os::unix::fs::symlink(
        tmp.path().join("outside/2020-03-01.json"),
        export.join("general/2020-03-01.json"),
    )
    .unwrap();
    let site = Site::build(std::slice::from_ref(&export), &[]);
    assert!(!site.has_page("c/general/2020/03/01/"));
    assert!(site.stderr.contains("general/2020-03-01.json: symlink not followed"), "{}", site.stderr);
}

#[test]
fn a_folder_that_holds_an_exports_zip_reads_the_zip() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("downloads");
    fs_err::create_dir(&folder).unwrap();
    fs_err::write(folder.join("README.txt"), "the export from March").unwrap();
    let day = r#"[{"type": "message", "user": "U1", "text": "from the zip in a folder", "ts": "1583056800.000100"}]"#;
    write_zip(
        &folder.join("Parsec Slack export Mar 1 2020.zip"),
        &[
            ("channels.json", r#"[{"id": "C1", "name": "general"}]"#),
            ("users.json", r#"[{"id": "U1", "name": "alice"}]"#),
            ("general/2020-03-01.json", day),
        ],
        &[],
    );
    for args in [&[][..], &["--format", "slack"][..]] {
        let site = Site::build(std::slice::from_ref(&folder), args);
        assert!(site.page("c/general/2020/03/01/").contains("from the zip in a folder"), "{args:?}");
    }
}
