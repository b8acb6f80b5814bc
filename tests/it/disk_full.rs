//! A full disk, in every phase that writes: the build fails naming the path and the cause,
//! and the previous site stays as it was. Needs a small tmpfs (root): skipped, saying so,
//! where one cannot be mounted.

use std::path::Path;
use std::process::Command;

use crate::harness::{repo, scrollback, tree};

/// A tmpfs of `size` at `dir`, unmounted when dropped.
struct Tmpfs<'a>(&'a Path);

impl<'a> Tmpfs<'a> {
    fn mount(dir: &'a Path, size: &str) -> Option<Tmpfs<'a>> {
        fs_err::create_dir_all(dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status();
        status.is_ok_and(|s| s.success()).then_some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0).status();
    }
}

#[test]
fn a_full_disk_is_named_with_its_path_in_every_phase() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = tmp.path().join("disk");
    // From full before the first file to full while the static search files are written.
    let mut failed = 0;
    for size in ["64k", "150k", "200k", "400k", "600k", "800k"] {
        let Some(_mounted) = Tmpfs::mount(&disk, size) else {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            return;
        };
        let out = disk.join("public");
        let output = scrollback(tmp.path())
            .arg("build")
            .arg(repo().join("sample-logs"))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            continue;
        }
        failed += 1;
        let named = stderr.lines().any(|l| l.contains(&disk.display().to_string()));
        let cause = stderr.to_lowercase().contains("no space left on device");
        assert!(named && cause, "{size}: {stderr}");
        assert!(fs_err::read_dir(&disk).unwrap().next().is_none(), "{size}: the failed build left files");
    }
    assert!(failed >= 4, "only {failed} sizes filled the disk");
}

#[test]
fn a_rebuild_that_fills_the_disk_leaves_the_previous_site() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = tmp.path().join("disk");
    let Some(_mounted) = Tmpfs::mount(&disk, "1600k") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let out = disk.join("public");
    let input = repo().join("sample-logs");
    let build = |extra: &[&str]| {
        scrollback(tmp.path()).arg("build").arg(&input).arg("--out").arg(&out).args(extra).output().unwrap()
    };
    assert!(build(&[]).status.success());
    let before = tree(&out);
    // A whole second copy does not fit beside the first.
    let output = build(&["--force"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.to_lowercase().contains("no space left on device"),
        "{stderr}"
    );
    assert!(tree(&out) == before, "the previous site changed");
    assert!(build(&[]).status.success(), "and the next build goes on from it");
}
