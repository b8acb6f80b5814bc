//! `scrollback serve`: the built site over HTTP on loopback, for previewing, and a watcher that
//! rebuilds it when its inputs, config or theme change. Files are served by tower-http's
//! `ServeDir`, which refuses paths that climb out of the site (`..`, absolute, encoded
//! separators) and answers a directory with its `index.html`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::http::{HeaderValue, header};
use axum::response::Response;
use notify::{EventKind, RecursiveMode, Watcher as _};
use tower_http::services::ServeDir;

/// Serves `site` at `addr` until Ctrl-C; `ready` gets the bound address (port 0 picks one).
pub fn serve(site: &Path, addr: SocketAddr, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        ready(listener.local_addr()?);
        let files = ServeDir::new(site).append_index_html_on_directories(true);
        let app = axum::Router::new()
            .fallback_service(files)
            .layer(axum::middleware::map_response(preview_headers));
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    })
}

/// A preview must show the latest build, and never guess types.
async fn preview_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
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
