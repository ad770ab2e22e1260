//! The API page: `GET /docs` shows `GET /v1/openapi.json` in Swagger UI, to read the API and try
//! it from a browser.
//!
//! Swagger UI is npm's `swagger-ui-dist` (pinned in tools/package.json), its bundle and stylesheet
//! copied into `assets/swagger-ui/` by `scripts/vendor-api-viewer.sh` and embedded in the binary:
//! the page loads nothing from outside this node. Its files are served under `/docs/`, and every
//! URL the page uses is relative to it (`docs/…`, `v1/openapi.json`), so that it also works
//! behind a proxy that puts the node under a path prefix.
//!
//! These routes are not in the OpenAPI document: they are a page for people, not part of the API
//! that programs call (and the page lists the document's operations, not itself).

use std::sync::OnceLock;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// Our page; `{v}` becomes [`version`], so that browsers fetch the files again after an upgrade.
const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zkbatch serve: API</title>
<link rel="icon" type="image/png" href="docs/favicon-32x32.png?v={v}">
<link rel="stylesheet" href="docs/swagger-ui.css?v={v}">
</head>
<body>
<div id="swagger-ui"><noscript>This page needs JavaScript; the API's OpenAPI document is
<a href="v1/openapi.json">v1/openapi.json</a>.</noscript></div>
<script src="docs/swagger-ui-bundle.js?v={v}"></script>
<script src="docs/api-page.js?v={v}"></script>
</body>
</html>
"#;

/// Our script: Swagger UI over the node's document (its URL relative to the page's).
const SCRIPT: &str = r##"// zkbatch serve's API page (crates/service/src/api/docs.rs).
window.ui = SwaggerUIBundle({
  url: "v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  // No badge from validator.swagger.io: the page talks to this node only.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
"##;

/// Scripts and styles from this node only; Swagger UI sets inline styles and draws `data:` images.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'";

const JS: &str = "text/javascript; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// The files under `/docs/`: name, Content-Type, bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    ("swagger-ui-bundle.js", JS, include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js")),
    ("swagger-ui.css", "text/css; charset=utf-8", include_bytes!("../../assets/swagger-ui/swagger-ui.css")),
    ("favicon-32x32.png", "image/png", include_bytes!("../../assets/swagger-ui/favicon-32x32.png")),
    ("api-page.js", JS, SCRIPT.as_bytes()),
    // Swagger UI's licence (Apache-2.0) and its notice, and those of the code in its bundle.
    ("LICENSE", TEXT, include_bytes!("../../assets/swagger-ui/LICENSE")),
    ("NOTICE", TEXT, include_bytes!("../../assets/swagger-ui/NOTICE")),
    ("swagger-ui-bundle.js.LICENSE.txt", TEXT, include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js.LICENSE.txt")),
];

/// A hash of the files: the `?v=` the page puts on their URLs, so they can be cached for good.
fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut h = blake3::Hasher::new();
        for (name, _, bytes) in FILES {
            h.update(name.as_bytes()).update(&(bytes.len() as u64).to_le_bytes()).update(bytes);
        }
        h.finalize().to_hex()[..16].to_string()
    })
}

/// `GET /docs`, `GET /docs/` (redirected: the page's relative URLs need `/docs`) and the files.
pub(super) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new().route("/docs", get(page)).route("/docs/", get(|| async { Redirect::permanent("../docs") }));
    for &(name, content_type, bytes) in FILES {
        router = router.route(&format!("/docs/{name}"), get(move || async move { file(content_type, bytes) }));
    }
    router
}

async fn page() -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
        // Revalidated each time: it is what names the current files' version.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    (StatusCode::OK, headers, PAGE.replace("{v}", version())).into_response()
}

fn file(content_type: &'static str, bytes: &'static [u8]) -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        // The page asks for them with `?v=` their hash: a new binary's files have new URLs.
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    (StatusCode::OK, headers, bytes).into_response()
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    const VENDORED: &[&str] = &["swagger-ui-bundle.js", "swagger-ui-bundle.js.LICENSE.txt", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"];

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    fn json(path: &Path) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
    }

    /// The vendored copies are those of the swagger-ui-dist that tools/package.json pins, byte for
    /// byte (compared when tools/node_modules is installed, as `make test`'s bootstrap does).
    #[test]
    fn vendored_viewer_is_the_pinned_swagger_ui_dist() {
        let fix = "run scripts/vendor-api-viewer.sh (after `cd tools && npm install --ignore-scripts --no-audit --no-fund`)";
        let assets = root().join("crates/service/assets/swagger-ui");
        let pinned = json(&root().join("tools/package.json"))["dependencies"]["swagger-ui-dist"].as_str().expect("tools/package.json pins swagger-ui-dist").to_string();
        let vendored = std::fs::read_to_string(assets.join("VERSION")).unwrap_or_default();
        assert_eq!(vendored.trim(), pinned, "the vendored Swagger UI is not the version tools/package.json pins: {fix}");

        let dist = root().join("tools/node_modules/swagger-ui-dist");
        if !dist.join("package.json").exists() {
            eprintln!("tools/node_modules/swagger-ui-dist is not installed (scripts/bootstrap.sh installs it): the vendored files are not compared");
            return;
        }
        let installed = json(&dist.join("package.json"))["version"].as_str().unwrap().to_string();
        assert_eq!(installed, pinned, "tools/node_modules has swagger-ui-dist {installed}, tools/package.json pins {pinned}: run scripts/bootstrap.sh");
        for name in VENDORED {
            let ours = std::fs::read(assets.join(name)).unwrap_or_default();
            let theirs = std::fs::read(dist.join(name)).unwrap_or_else(|e| panic!("swagger-ui-dist {installed} has no {name} ({e}): update scripts/vendor-api-viewer.sh"));
            assert!(ours == theirs, "crates/service/assets/swagger-ui/{name} differs from tools/node_modules/swagger-ui-dist's: {fix}");
        }
    }

    async fn get(uri: &str) -> Response {
        routes::<()>().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap()
    }

    fn header(r: &Response, name: header::HeaderName) -> &str {
        r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    #[tokio::test]
    async fn the_page_and_its_files_are_served_with_their_types() {
        let r = get("/docs").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, header::CONTENT_TYPE), "text/html; charset=utf-8");
        assert_eq!(header(&r, header::CACHE_CONTROL), "no-cache");
        let html = String::from_utf8(axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
        assert!(html.contains("href=\"v1/openapi.json\"") && !html.contains("{v}"), "{html}");
        for (name, content_type, bytes) in FILES {
            let url = format!("docs/{name}?v={}", version());
            assert!(["LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt"].contains(name) || html.contains(&url), "the page does not load {url}");
            let r = get(&format!("/{url}")).await;
            assert_eq!(r.status(), StatusCode::OK, "{name}");
            assert_eq!(header(&r, header::CONTENT_TYPE), *content_type, "{name}");
            assert!(header(&r, header::CACHE_CONTROL).contains("max-age="), "{name}");
            assert_eq!(axum::body::to_bytes(r.into_body(), 8 << 20).await.unwrap().as_ref(), *bytes, "{name}");
        }
        let r = get("/docs/").await;
        assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(header(&r, header::LOCATION), "../docs");
    }
}
