use std::sync::{Arc, Mutex};

use http_body_util::BodyExt;
use serde_json::json;

use super::*;
use crate::fuzz::Frames;

fn frames(chunks: &[&str]) -> Frames {
    Frames(chunks.iter().map(|chunk| Frame::data(Bytes::from(chunk.to_string()))).collect())
}

/// `body` watched as the answer to request 7; the bytes the client gets, and the task ids seen
/// (each with how many bytes the client had been given when it was seen).
async fn watch(body: Frames, event_stream: bool) -> (String, Vec<(String, usize)>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let given = Arc::new(Mutex::new(0usize));
    let (record, so_far) = (Arc::clone(&seen), Arc::clone(&given));
    let on_task: OnTask = Box::new(move |task: &str| {
        let so_far = *so_far.lock().unwrap();
        record.lock().unwrap().push((task.to_owned(), so_far));
    });
    let mut watched = WatchedBody::watched(body, json!(7), event_stream, on_task);
    let mut out = Vec::new();
    while let Some(frame) = watched.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            out.extend_from_slice(&data);
            *given.lock().unwrap() = out.len();
        }
    }
    let seen = seen.lock().unwrap().clone();
    (String::from_utf8(out).unwrap(), seen)
}

#[test]
fn task_handles_of_both_revisions_are_found_in_the_answer_only() {
    let extension = br#"{"jsonrpc":"2.0","id":7,"result":{"resultType":"task","taskId":"t1","status":"working"}}"#;
    let core =
        br#"{"jsonrpc":"2.0","id":7.0,"result":{"task":{"taskId":"t2","status":"working"}}}"#;
    assert_eq!(task_handle(extension, &json!(7)), Handle::Task("t1".to_owned()));
    assert_eq!(task_handle(core, &json!(7)), Handle::Task("t2".to_owned()));
    assert_eq!(task_handle(extension, &json!(8)), Handle::Other, "another request's answer");
    let complete = br#"{"jsonrpc":"2.0","id":7,"result":{"resultType":"complete","taskId":"t3","content":[]}}"#;
    assert_eq!(task_handle(complete, &json!(7)), Handle::Answered, "a result that is not a handle");
    let error = br#"{"jsonrpc":"2.0","id":7,"error":{"code":1,"message":"no"}}"#;
    assert_eq!(task_handle(error, &json!(7)), Handle::Answered);
    assert_eq!(
        task_handle(br#"{"jsonrpc":"2.0","method":"notifications/progress"}"#, &json!(7)),
        Handle::Other
    );
    assert_eq!(task_handle(b"not json", &json!(7)), Handle::Other);
}

#[tokio::test]
async fn a_json_handle_is_seen_before_the_client_has_it_whole() {
    let answer = r#"{"jsonrpc":"2.0","id":7,"result":{"resultType":"task","taskId":"t1"}}"#;
    let (first, second) = answer.split_at(20);
    let (out, seen) = watch(frames(&[first, second]), false).await;
    assert_eq!(out, answer, "passed on unchanged");
    assert_eq!(seen, [("t1".to_owned(), 0)], "seen before any byte reached the client");
}

#[tokio::test]
async fn an_event_stream_handle_is_seen_before_its_event_is_passed_on() {
    let progress =
        "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\n";
    let handle =
        "data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"task\":{\"taskId\":\"t2\"}}}\r\n\r\n";
    let (a, b) = handle.split_at(30);
    let (out, seen) = watch(frames(&[progress, a, b]), true).await;
    assert_eq!(out, format!("{progress}{handle}"));
    assert_eq!(
        seen,
        [("t2".to_owned(), progress.len() + a.len())],
        "seen before its last part was passed on"
    );
}

#[tokio::test]
async fn large_answers_and_other_answers_pass_unchanged_and_hand_out_nothing() {
    let large = format!(
        r#"{{"jsonrpc":"2.0","id":7,"result":{{"resultType":"task","taskId":"t","pad":"{}"}}}}"#,
        "x".repeat(MAX_WATCHED_BYTES)
    );
    let (half, rest) = large.split_at(large.len() / 2);
    let (out, seen) = watch(frames(&[half, rest]), false).await;
    assert!(out == large, "passed on unchanged");
    assert_eq!(seen.len(), 0);
    let other = r#"{"jsonrpc":"2.0","id":8,"result":{"resultType":"task","taskId":"t"}}"#;
    let (out, seen) = watch(frames(&[other]), false).await;
    assert_eq!((out.as_str(), seen.len()), (other, 0));
    // An event still unfinished past the bound ends the watch.
    let event = format!("data: {}", "y".repeat(MAX_WATCHED_BYTES + 1));
    let after = "data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"resultType\":\"task\",\"taskId\":\"t\"}}\n\n";
    let (out, seen) = watch(frames(&[&event, "\n\n", after]), true).await;
    assert!(out == format!("{event}\n\n{after}"), "passed on unchanged");
    assert_eq!(seen.len(), 0, "past the bound nothing is watched");
}

#[tokio::test]
async fn trailers_end_a_held_answer() {
    let answer = r#"{"jsonrpc":"2.0","id":7,"result":{"resultType":"task","taskId":"t1"}}"#;
    let mut body = frames(&[answer]);
    body.0.push_back(Frame::trailers(http::HeaderMap::new()));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let on_task: OnTask = Box::new(move |task: &str| record.lock().unwrap().push(task.to_owned()));
    let mut watched = WatchedBody::watched(body, json!(7), false, on_task);
    let first = watched.frame().await.unwrap().unwrap();
    assert_eq!(first.into_data().unwrap(), answer);
    assert!(watched.frame().await.unwrap().unwrap().is_trailers());
    assert!(watched.frame().await.is_none());
    assert_eq!(*seen.lock().unwrap(), ["t1"]);
}

#[tokio::test]
async fn a_handle_of_a_few_kilobytes_is_still_read() {
    // A handle with a status message of 8 KiB: well under the bound, so watched.
    let answer = format!(
        r#"{{"jsonrpc":"2.0","id":7,"result":{{"resultType":"task","taskId":"t1","statusMessage":"{}"}}}}"#,
        "m".repeat(8 * 1024)
    );
    let (_, seen) = watch(frames(&[&answer]), false).await;
    assert_eq!(seen, [("t1".to_owned(), 0)]);
}

#[tokio::test]
async fn the_body_tells_its_size_and_its_end() {
    let answer = r#"{"jsonrpc":"2.0","id":7,"result":{}}"#;
    let plain = WatchedBody::plain(http_body_util::Full::new(Bytes::from(answer)));
    assert_eq!(plain.size_hint().exact(), Some(answer.len() as u64));
    assert!(!plain.is_end_stream());
    assert!(WatchedBody::plain(http_body_util::Full::new(Bytes::new())).is_end_stream());
    assert_eq!(format!("{plain:?}"), "WatchedBody { watching: false, .. }");
    // Watched: the held bytes still count, and the end is told once all is handed on.
    let on_task: OnTask = Box::new(|_| {});
    let mut watched = WatchedBody::watched(
        http_body_util::Full::new(Bytes::from(answer)),
        json!(7),
        false,
        on_task,
    );
    assert_eq!(watched.size_hint().exact(), Some(answer.len() as u64));
    assert!(!watched.is_end_stream());
    let data = watched.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(data, answer);
    assert!(watched.is_end_stream());
    assert!(watched.frame().await.is_none());
}
