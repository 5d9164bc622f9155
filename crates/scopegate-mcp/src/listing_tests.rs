use super::*;
use serde_json::json;

fn only_a(name: &str) -> bool {
    name.starts_with('a')
}

fn filtered(judged: Judged) -> Value {
    match judged {
        Judged::Filtered(bytes) => serde_json::from_slice(&bytes).unwrap(),
        other => panic!("not filtered: {other:?}"),
    }
}

#[test]
fn json_answers_keep_what_the_caller_may_use() {
    let answer = json!({"jsonrpc": "2.0", "id": 7, "result": {
        "tools": [{"name": "a1"}, {"name": "b1"}, {"title": "no name"}, {"name": 5}, {"name": "a2"}],
        "nextCursor": "c"
    }})
    .to_string();
    assert_eq!(
        filtered(filter_message(answer.as_bytes(), &json!(7), Listing::Tools, &only_a)),
        json!({"jsonrpc": "2.0", "id": 7, "result": {
            "tools": [{"name": "a1"}, {"name": "a2"}], "nextCursor": "c", "cacheScope": "private"
        }})
    );
    // Another request's answer, or not an answer: the caller decides (it refuses).
    assert_eq!(
        filter_message(answer.as_bytes(), &json!(8), Listing::Tools, &only_a),
        Judged::Other
    );
    let error =
        json!({"jsonrpc": "2.0", "id": 7, "error": {"code": -1, "message": "no"}}).to_string();
    assert_eq!(filter_message(error.as_bytes(), &json!(7), Listing::Tools, &only_a), Judged::Error);
    let templates = json!({"jsonrpc": "2.0", "id": "x", "result": {"resourceTemplates": [
        {"uriTemplate": "a://{id}"}, {"uriTemplate": "b://{id}"}
    ]}})
    .to_string();
    let templates =
        filtered(filter_message(templates.as_bytes(), &json!("x"), Listing::Templates, &only_a));
    assert_eq!(templates["result"]["resourceTemplates"], json!([{"uriTemplate": "a://{id}"}]));
}

/// The review's finding: a client that writes its id `1.0` got the server's answer (`"id":1`)
/// unfiltered, because `1.0` and `1` differ as JSON values.
#[test]
fn ids_are_compared_in_one_spelling() {
    for (written, canonical) in [
        (json!(1.0), json!(1)),
        (json!(1e0), json!(1)),
        (json!(-0.0), json!(0)),
        (json!(7), json!(7)),
        (json!("7"), json!("7")),
    ] {
        assert_eq!(canonical_id(&written), Some(canonical), "{written}");
    }
    for not_an_id in [json!(1.5), json!(null), json!([1]), json!(1e300)] {
        assert_eq!(canonical_id(&not_an_id), None, "{not_an_id}");
    }
    let answer = br#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a"},{"name":"b"}]}}"#;
    let id = canonical_id(&json!(1.0)).unwrap();
    assert_eq!(
        filtered(filter_message(answer, &id, Listing::Tools, &only_a))["result"]["tools"],
        json!([{"name": "a"}])
    );
}

#[test]
fn event_streams_are_filtered_event_by_event_and_end_at_the_answer() {
    let answer = r#"{"jsonrpc":"2.0","id":3,"result":{"prompts":[{"name":"a"},{"name":"b"}]}}"#;
    let progress = r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{}}"#;
    let stream =
        format!("id: 1\r\ndata: {progress}\r\n\r\nevent: message\ndata: {answer}\n\n: after\n\n");
    // In one piece: what follows the answer in the same read is dropped.
    let mut whole = EventStream::default();
    assert!(whole.push(stream.as_bytes(), &json!(3), Listing::Prompts, &only_a));
    assert!(whole.answered());
    assert!(!String::from_utf8(whole.finish()).unwrap().contains(": after"));
    // Fed a byte at a time: events are judged only once complete.
    let mut events = EventStream::default();
    let mut done = false;
    for byte in stream.as_bytes() {
        done = events.push(std::slice::from_ref(byte), &json!(3), Listing::Prompts, &only_a);
        if done {
            break;
        }
    }
    assert!(done);
    let out = String::from_utf8(events.finish()).unwrap();
    let (before, last) = out.split_once("event: message\ndata: ").unwrap();
    assert_eq!(before, format!("id: 1\r\ndata: {progress}\r\n\r\n"));
    assert_eq!(
        serde_json::from_str::<Value>(last.strip_suffix("\n\n").unwrap()).unwrap(),
        json!({"jsonrpc": "2.0", "id": 3, "result": {"prompts": [{"name": "a"}], "cacheScope": "private"}})
    );
}

#[test]
fn a_stream_without_the_answer_says_so() {
    let mut events = EventStream::default();
    let other = b"data: {\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}\n\ndata: unfinished";
    assert!(!events.push(other, &json!(3), Listing::Tools, &only_a));
    assert!(!events.answered(), "the caller refuses such a stream rather than pass it on");
    // CR-only line ends hold no boundary this reader knows: no answer, refused by the caller.
    let mut events = EventStream::default();
    let cr = b"data: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"tools\":[{\"name\":\"b\"}]}}\r\r";
    assert!(!events.push(cr, &json!(3), Listing::Tools, &only_a));
    assert!(!events.answered());
}
