//! `scrollback serve`: the built site over HTTP on loopback, for previewing, and a watcher that
//! rebuilds it when its inputs, config or theme change. Files are served by tower-http's
//! `ServeDir`, which refuses paths that climb out of the site (`..`, absolute, encoded
//! separators) and answers a directory with its `index.html`; a path that resolves, through a
//! symlink, to anywhere outside the site's real directory is not found. Responses carry the
//! site's policies ([`crate::render::headers`]). Each connection is served by hyper with a
//! timer: one that is idle, or sends half a request, for [`IDLE`] is closed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::task::Poll;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use notify::{EventKind, RecursiveMode, Watcher as _};
use tower_http::services::ServeDir;

use crate::render::headers;

/// Serves `site` at `addr` until Ctrl-C; `ready` gets the bound address (port 0 picks one).
pub fn serve(site: &Path, addr: SocketAddr, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        ready(listener.local_addr()?);
        let files = ServeDir::new(site).append_index_html_on_directories(true);
        let real = std::fs::canonicalize(site)?;
        let app = axum::Router::new()
            .fallback_service(files)
            .layer(axum::middleware::from_fn(move |request, next| preview(real.clone(), request, next)));
        let mut shutdown = std::pin::pin!(tokio::signal::ctrl_c());
        loop {
            let accepted = std::future::poll_fn(|cx| {
                if shutdown.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                listener.poll_accept(cx).map(Some)
            })
            .await;
            let Some(accepted) = accepted else { return Ok(()) };
            // A failed accept (too many open files, a reset) is that connection's problem.
            let Ok((stream, _)) = accepted else { continue };
            let service = hyper_util::service::TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                let mut http = hyper::server::conn::http1::Builder::new();
                http.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(IDLE);
                let _ = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
            });
        }
    })
}

/// How long a connection may take to send a request's head, or sit idle between requests,
/// before it is closed: a half-open or idle connection holds nothing for long.
pub const IDLE: Duration = Duration::from_secs(10);

/// Refuses a path that leaves the site's real directory; a preview must show the latest build,
/// never guess types, and send the policies a host would.
async fn preview(site: PathBuf, request: Request, next: Next) -> Response {
    let path = request.uri().path().trim_start_matches('/');
    if leaves(&site, path) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let shared = path.starts_with(headers::FILES_DIR);
    let mut response = next.run(request).await;
    let fields = response.headers_mut();
    fields.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    fields.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let policy = if shared { headers::FILES_CSP } else { headers::CSP };
    fields.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    if shared {
        fields.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    response
}

/// Whether the file `path` (a URL path, percent-encoded) names resolves outside `site` (its
/// real path): through a symlink in the site, or in the `index.html` a directory is answered
/// with. Paths that do not exist are left to [`ServeDir`] to refuse.
fn leaves(site: &Path, path: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let file = site.join(decoded.as_ref());
    [file.clone(), file.join("index.html")]
        .iter()
        .filter_map(|candidate| std::fs::canonicalize(candidate).ok())
        .any(|real| !real.starts_with(site))
}

/// Calls `rebuild` whenever something under `paths` is created, changed or removed (once 300 ms
/// pass without another change), except in `ignore` (the output, which may sit inside an input).
/// Reads are not changes: the build's own reads of its inputs must not start another build.
pub fn watch(
    paths: &[PathBuf],
    ignore: &[PathBuf],
    mut rebuild: impl FnMut() + Send + 'static,
) -> notify::Result<()> {
    let ignore: Vec<PathBuf> = ignore.iter().map(|p| absolute(p)).collect();
    let relevant = move |event: &notify::Event| {
        !matches!(event.kind, EventKind::Access(_))
            && event.paths.iter().any(|p| {
                let path = absolute(p);
                !path.to_string_lossy().contains(".staging-") && !ignore.iter().any(|i| path.starts_with(i))
            })
    };
    let (sender, events) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(sender)?;
    for path in paths.iter().filter(|p| p.exists()) {
        watcher.watch(path, RecursiveMode::Recursive)?;
    }
    std::thread::spawn(move || {
        let _keep = watcher;
        while let Ok(event) = events.recv() {
            if !event.is_ok_and(|e| relevant(&e)) {
                continue;
            }
            while events.recv_timeout(QUIET).is_ok() {}
            rebuild();
        }
    });
    Ok(())
}

/// How long the inputs must stay unchanged before a rebuild: an export being copied in is
/// many events.
const QUIET: Duration = Duration::from_millis(300);

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
