//! `zkbatch serve`'s API page (`GET /docs`, Swagger UI) as a browser shows it: a real node, its
//! page rendered by headless Chromium (installed by the test when missing, as root), every
//! operation of the node's OpenAPI document found in it. With `ZKBATCH_UPDATE_SCREENSHOTS=1` it
//! also writes docs/api-page.png, the README's picture of the page.

use zkbatch_testing::chromium;

use crate::serve::{get, http, zkbatch, Node};

/// Swagger UI's block of one operation: `<div class="opblock opblock-METHOD …">`, then the
/// summary's `data-path="PATH"`. The (method, path) of each block in `dom`.
fn operations(dom: &str) -> Vec<(String, String)> {
    dom.split("class=\"opblock opblock-")
        .skip(1)
        .filter_map(|block| {
            let method = block.split([' ', '"']).next()?.to_string();
            let path = block.split("data-path=\"").nth(1)?.split('"').next()?.replace("&amp;", "&");
            Some((method, path))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_page_shows_every_operation_of_the_openapi_document() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    zkbatch(d, &["setup", "--circuit", "squares-1", "--pk", "circuit.pk", "--vk", "verification_key.json"]);
    std::fs::write(d.join("zkbatch.toml"), "listen = \"127.0.0.1:0\"\nworkers = 1\n[[circuits]]\nid = \"squares\"\nbuiltin = \"squares-1\"\npk = \"circuit.pk\"\n").unwrap();
    let node = Node::start(d, "zkbatch.toml", &[]);
    let client = http();

    let (status, doc) = get(&client, &format!("{}/v1/openapi.json", node.url)).await;
    assert_eq!(status, 200, "{doc}");
    let mut expected: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "options", "head", "patch", "trace"] {
            if item.get(method).is_some() {
                expected.push((method.to_string(), path.clone()));
            }
        }
    }
    assert!(expected.len() >= 7, "the document has too few operations: {expected:?}");
    let (title, version) = (doc["info"]["title"].as_str().unwrap().to_string(), doc["info"]["version"].as_str().unwrap().to_string());

    let page = client.get(format!("{}/docs", node.url)).send().await.expect("GET /docs");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");

    let url = format!("{}/docs", node.url);
    let rendered = tokio::task::spawn_blocking(move || chromium::render(&url)).await.unwrap();
    let dom = &rendered.dom;
    let (save, log) = (std::env::temp_dir().join("zkbatch-api-page.html"), std::env::temp_dir().join("zkbatch-api-page.log"));
    std::fs::write(&save, dom).unwrap();
    std::fs::write(&log, &rendered.log).unwrap();
    let context = format!("(the rendered DOM is in {}, Chromium's log in {}; the page's console:\n{})", save.display(), log.display(), rendered.console.join("\n"));

    // The document's title and version, as Swagger UI heads the page with them.
    let info = dom.split("class=\"info\"").nth(1).unwrap_or_else(|| panic!("no info block: the document did not load {context}"));
    assert!(info.contains(&format!(">{title}<")), "the page does not show the title {title:?} {context}");
    let versions: Vec<&str> = info.split("<pre class=\"version\">").skip(1).filter_map(|v| v.split('<').next()).map(str::trim).collect();
    assert!(versions.contains(&version.as_str()), "the page does not show the version {version:?} (it shows {versions:?}) {context}");
    let shown = operations(dom);
    for op in &expected {
        assert!(shown.contains(op), "the page does not show {} {} (it shows {shown:?}) {context}", op.0.to_uppercase(), op.1);
    }
    assert_eq!(shown.len(), expected.len(), "the page shows operations that the document does not have: {shown:?} {context}");
    // Nothing on the page failed or was refused (its Content-Security-Policy), and it said nothing.
    assert!(rendered.console.is_empty(), "the page logged errors or warnings {context}");

    if std::env::var_os("ZKBATCH_UPDATE_SCREENSHOTS").is_some_and(|v| v == "1") {
        let out = zkbatch_testing::root().join("docs/api-page.png");
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let url = format!("{}/docs", node.url);
        let png = out.clone();
        tokio::task::spawn_blocking(move || chromium::screenshot(&url, &png, 1280, 1400)).await.unwrap();
        eprintln!("wrote {}", out.display());
    }
}
