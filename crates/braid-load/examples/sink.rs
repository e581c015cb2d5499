//! A do-nothing Events API that answers 202 to every batch, to measure the load tool's
//! own ceiling: `cargo run --release -p braid-load --example sink -- 127.0.0.1:18080`,
//! then point `braid-load --url http://127.0.0.1:18080` at it.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;

async fn accept(body: Bytes) -> StatusCode {
    // Touch the body so it is read in full, like a real server would.
    std::hint::black_box(body.len());
    StatusCode::ACCEPTED
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18080".to_owned());
    let app = Router::new()
        .route("/v2/events", post(accept))
        .route("/v2/bulkevents", post(accept));
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .expect("cannot bind the sink address");
    eprintln!("sink listening on {}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}
