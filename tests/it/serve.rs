//! `scrollback serve`: builds, serves the site on loopback with paths kept inside it, and with
//! `--watch` rebuilds when an input changes, serving the previous build when a rebuild fails.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::harness::{repo, tree};

/// A running `scrollback serve`, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: Receiver<String>,
}

impl Server {
    fn start(dir: &Path, args: &[&str]) -> Server {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scrollback"))
            .current_dir(dir)
            .env_remove("SCROLLBACK_OUT")
            .args(["serve", "--port", "0"])
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let (sender, log) = channel();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let mut server = Server { child, addr: "127.0.0.1:1".parse().unwrap(), log };
        let line = server.wait_for("Serving ");
        let url = line.split("http://").nth(1).unwrap().trim_end_matches(|c| c != '/');
        server.addr = url.trim_end_matches('/').parse().unwrap();
        server
    }

    /// The first line of output containing `text`, waiting up to a minute.
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        panic!("no {text:?} from serve; it said:\n{}", seen.join("\n"));
    }

    /// A raw HTTP/1.1 GET of `target`, exactly as written: (status, head, body).
    fn get(&self, target: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        write!(stream, "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let response = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, head.to_lowercase(), body.to_owned())
    }
}

impl Server {
    /// `scrollback serve` of the sample, with its temporary directory and output.
    fn sample() -> (tempfile::TempDir, std::path::PathBuf, Server) {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let server = Server::start(
            tmp.path(),
            &[repo().join("sample-logs").to_str().unwrap(), "-o", out.to_str().unwrap()],
        );
        (tmp, out, server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serves_the_built_site_on_loopback_and_keeps_paths_inside_it() {
    let (tmp, out, server) = Server::sample();
    assert!(server.addr.ip().is_loopback(), "{}", server.addr);
    let (status, head, body) = server.get("/");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(head.contains("cache-control: no-cache"), "{head}");
    assert_eq!(body, fs_err::read_to_string(out.join("index.html")).unwrap());
    let (status, head, _) = server.get("/c/ops");
    assert_eq!(status, 307);
    assert!(head.contains("location: /c/ops/"), "{head}");
    assert_eq!(server.get("/c/ops/2014/01/17/").0, 200);
    assert_eq!(server.get("/no/such/page/").0, 404);
    // Nothing outside the site: the index beside it, the inputs, the system.
    fs_err::write(tmp.path().join("secret.txt"), "outside").unwrap();
    for escape in
        ["/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/c/../../secret.txt", "//etc/passwd"]
    {
        let (status, _, body) = server.get(escape);
        assert!(status >= 400 && !body.contains("outside") && !body.contains("root:"), "{escape}: {status}");
    }
    // Nor through a symlink someone placed in the site, to a file or a directory.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(tmp.path().join("secret.txt"), out.join("linked.txt")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), out.join("linked-dir")).unwrap();
        for escape in ["/linked.txt", "/linked-dir/secret.txt", "/linked-dir/%73ecret.txt"] {
            let (status, _, body) = server.get(escape);
            assert_eq!(status, 404, "{escape}: {body}");
        }
    }
}

#[test]
fn serve_sends_the_site_policies_and_shared_files_as_sandboxed_downloads() {
    let (_tmp, out, server) = Server::sample();
    let (_, head, _) = server.get("/");
    assert!(head.contains("content-security-policy: default-src 'self'; script-src 'self'"), "{head}");
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    fs_err::create_dir_all(out.join("assets/files/0000")).unwrap();
    fs_err::write(out.join("assets/files/0000/page.html"), "<script>alert(1)</script>").unwrap();
    let (status, head, _) = server.get("/assets/files/0000/page.html");
    assert_eq!(status, 200);
    assert!(head.contains("content-security-policy: default-src 'none'; sandbox"), "{head}");
    assert!(head.contains("content-disposition: attachment"), "{head}");
}

#[test]
fn watch_rebuilds_on_change_and_keeps_serving_when_a_rebuild_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("export");
    for (rel, bytes) in tree(&repo().join("sample-logs/slack")) {
        fs_err::create_dir_all(input.join(&rel).parent().unwrap()).unwrap();
        fs_err::write(input.join(rel), bytes).unwrap();
    }
    // The output inside the input: its own writes must not trigger rebuilds.
    let out = input.join("public");
    let mut server =
        Server::start(tmp.path(), &["--watch", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let day = input.join("ops/2014-01-17.json");
    let mut messages: serde_json::Value = serde_json::from_slice(&fs_err::read(&day).unwrap()).unwrap();
    let message = serde_json::json!({"type": "message", "user": "U0PETER", "text": "zqwatched", "ts": "1389999000.000100"});
    messages.as_array_mut().unwrap().push(message);
    fs_err::write(&day, serde_json::to_vec(&messages).unwrap()).unwrap();
    server.wait_for("Built ");
    assert!(server.get("/c/ops/2014/01/17/").2.contains("zqwatched"));

    fs_err::write(&day, "not json").unwrap();
    let error = server.wait_for("error: ");
    assert!(error.contains("still serving the previous build"), "{error}");
    assert!(server.get("/c/ops/2014/01/17/").2.contains("zqwatched"));
    // No rebuild loop: no build starts again until something changes.
    std::thread::sleep(Duration::from_millis(1500));
    let later: Vec<String> =
        server.log.try_iter().filter(|l| l.starts_with("error: ") || l.starts_with("Built ")).collect();
    assert!(later.is_empty(), "serve kept rebuilding: {later:?}");
}

#[test]
fn idle_and_half_open_connections_are_closed() {
    let (_tmp, _out, server) = Server::sample();
    let limit = scrollback::serve::IDLE + Duration::from_secs(5);
    // One says nothing; one stops halfway through a request's head.
    let silent = TcpStream::connect(server.addr).unwrap();
    let mut half = TcpStream::connect(server.addr).unwrap();
    write!(half, "GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    for mut stream in [silent, half] {
        stream.set_read_timeout(Some(limit)).unwrap();
        let started = std::time::Instant::now();
        let mut rest = Vec::new();
        let read = stream.read_to_end(&mut rest);
        assert!(read.is_ok(), "still open after {:?}: {read:?}", started.elapsed());
        assert!(started.elapsed() < limit);
    }
    // And the server still answers.
    assert_eq!(server.get("/").0, 200);
}
