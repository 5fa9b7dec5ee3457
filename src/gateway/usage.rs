//! What an answer cost, read as it passes: the `usage` of a JSON answer, or of any chunk of a
//! server-sent event stream (usually the last, sometimes one that still carries `choices`),
//! and the generation's id for settling from `/generation` when the cost never came.

use serde::Deserialize;

use crate::money::NanoUsd;

/// The longest line of a stream the scanner keeps while it waits for the line's end; a longer
/// line (a huge chunk of content) is skipped, since a `usage` chunk is small.
const MAX_LINE_BYTES: usize = 256 * 1024;

/// What an answer said about its cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerUsage {
    /// OpenRouter's generation id (`id` of the answer or of its chunks).
    pub generation_id: Option<String>,
    /// `usage.cost`, when it came.
    pub cost: Option<NanoUsd>,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// The model that answered, as OpenRouter reports it.
    pub model: Option<String>,
    /// An `error` object sent in the middle of a stream.
    pub stream_error: Option<String>,
}

#[derive(Deserialize)]
struct Piece {
    id: Option<String>,
    model: Option<String>,
    usage: Option<UsagePiece>,
    error: Option<ErrorPiece>,
    /// A Responses API event's kind (`response.completed`, `error`, ...).
    #[serde(rename = "type")]
    kind: Option<String>,
    /// A Responses API event's message (an `error` event carries it at the top).
    message: Option<String>,
    /// The response a Responses API event is about; `response.completed` has its usage.
    response: Option<Box<Piece>>,
}

/// Chat completions count `prompt_tokens` and `completion_tokens`; the Responses API
/// `input_tokens` and `output_tokens`.
#[derive(Deserialize)]
struct UsagePiece {
    cost: Option<f64>,
    #[serde(alias = "input_tokens")]
    prompt_tokens: Option<u64>,
    #[serde(alias = "output_tokens")]
    completion_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorPiece {
    message: Option<String>,
}

impl AnswerUsage {
    /// Reads a whole JSON answer.
    pub fn of_json(body: &[u8]) -> AnswerUsage {
        let mut usage = AnswerUsage::default();
        usage.take(body);
        usage
    }

    /// Takes what one JSON object says; anything unreadable is left alone.
    fn take(&mut self, json: &[u8]) {
        let Ok(piece) = serde_json::from_slice::<Piece>(json) else {
            return;
        };
        self.take_piece(piece);
    }

    fn take_piece(&mut self, piece: Piece) {
        if piece.kind.as_deref() == Some("error") {
            self.stream_error = Some(piece.message.unwrap_or_else(|| "an error".to_string()));
            return;
        }
        if let Some(response) = piece.response {
            self.take_piece(*response);
            return;
        }
        if let Some(id) = piece.id.filter(|id| !id.is_empty()) {
            self.generation_id.get_or_insert(id);
        }
        if let Some(model) = piece.model.filter(|m| !m.is_empty()) {
            self.model = Some(model);
        }
        if let Some(usage) = piece.usage {
            if let Some(cost) = usage.cost {
                self.cost = Some(NanoUsd::from_api(cost));
            }
            self.prompt_tokens = usage.prompt_tokens.or(self.prompt_tokens);
            self.completion_tokens = usage.completion_tokens.or(self.completion_tokens);
        }
        if let Some(error) = piece.error {
            self.stream_error = Some(error.message.unwrap_or_else(|| "an error".to_string()));
        }
    }
}

/// Reads a server-sent event stream chunk by chunk, as the bytes are forwarded.
#[derive(Debug, Default)]
pub struct StreamScanner {
    line: Vec<u8>,
    skipping_long_line: bool,
    usage: AnswerUsage,
}

impl StreamScanner {
    /// Looks at the next bytes of the stream (any split, even inside a line or a character).
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while let Some(end) = bytes.iter().position(|b| *b == b'\n') {
            let (head, rest) = bytes.split_at(end);
            if !self.skipping_long_line && self.line.len() + head.len() <= MAX_LINE_BYTES {
                self.line.extend_from_slice(head);
                let line = std::mem::take(&mut self.line);
                self.read_line(&line);
                self.line = line;
            }
            self.line.clear();
            self.skipping_long_line = false;
            bytes = &rest[1..];
        }
        if self.skipping_long_line {
            return;
        }
        if self.line.len() + bytes.len() > MAX_LINE_BYTES {
            self.line.clear();
            self.skipping_long_line = true;
        } else {
            self.line.extend_from_slice(bytes);
        }
    }

    fn read_line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(data) = line.strip_prefix(b"data:") else {
            // Comments (": OPENROUTER PROCESSING"), event names and blank lines carry no usage.
            return;
        };
        let data = data.trim_ascii();
        if data != b"[DONE]" {
            self.usage.take(data);
        }
    }

    /// What the stream said so far (a last line without its newline included).
    pub fn finish(mut self) -> AnswerUsage {
        if !self.skipping_long_line && !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.read_line(&line);
        }
        self.usage
    }

    /// What the stream has said so far.
    pub fn usage(&self) -> &AnswerUsage {
        &self.usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = concat!(
        ": OPENROUTER PROCESSING\n\n",
        "data: {\"id\":\"gen-1\",\"model\":\"openai/gpt-4o-mini\",\"choices\":[{\"delta\":{\"content\":\"Hé\"}}]}\n\n",
        ": OPENROUTER PROCESSING\n\n",
        "data: {\"id\":\"gen-1\",\"choices\":[{\"delta\":{\"content\":\"llo\"},\"finish_reason\":\"stop\"}],",
        "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15,\"cost\":0.0000042}}\r\n\r\n",
        "data: [DONE]\n\n",
    );

    fn expected() -> AnswerUsage {
        AnswerUsage {
            generation_id: Some("gen-1".to_string()),
            cost: Some(NanoUsd::from_nanos(4_200)),
            prompt_tokens: Some(12),
            completion_tokens: Some(3),
            model: Some("openai/gpt-4o-mini".to_string()),
            stream_error: None,
        }
    }

    #[test]
    fn the_cost_is_found_however_the_stream_is_cut() {
        let bytes = STREAM.as_bytes();
        for size in [1, 2, 3, 7, 64, bytes.len()] {
            let mut scanner = StreamScanner::default();
            for chunk in bytes.chunks(size) {
                scanner.feed(chunk);
            }
            assert_eq!(scanner.finish(), expected(), "chunks of {size}");
        }
    }

    #[test]
    fn a_stream_cut_before_its_usage_has_its_generation_id() {
        let mut scanner = StreamScanner::default();
        scanner.feed(&STREAM.as_bytes()[..120]);
        let usage = scanner.finish();
        assert_eq!(usage.generation_id.as_deref(), Some("gen-1"));
        assert_eq!(usage.cost, None);
    }

    #[test]
    fn an_error_in_the_middle_of_a_stream_is_noticed() {
        let mut scanner = StreamScanner::default();
        scanner.feed(b"data: {\"id\":\"gen-2\",\"choices\":[]}\n\n");
        scanner.feed(b"data: {\"error\":{\"code\":502,\"message\":\"provider went away\"}}\n\n");
        let usage = scanner.finish();
        assert_eq!(usage.stream_error.as_deref(), Some("provider went away"));
        assert_eq!(usage.generation_id.as_deref(), Some("gen-2"));
    }

    #[test]
    fn a_huge_line_is_skipped_without_being_kept() {
        let mut scanner = StreamScanner::default();
        scanner.feed(b"data: {\"id\":\"gen-3\",\"content\":\"");
        for _ in 0..100 {
            scanner.feed(&[b'x'; 8192]);
        }
        assert!(scanner.line.is_empty());
        scanner.feed(b"\"}\n\ndata: {\"usage\":{\"cost\":0.5}}\n\n");
        let usage = scanner.finish();
        assert_eq!(usage.cost, Some(NanoUsd::from_nanos(500_000_000)));
        assert_eq!(usage.generation_id, None);
    }

    #[test]
    fn a_responses_stream_has_its_cost_in_the_completed_event() {
        let mut scanner = StreamScanner::default();
        scanner.feed(b"data: {\"type\":\"response.created\",\"response\":{\"id\":\"gen-5\",\"usage\":null}}\n\n");
        scanner.feed(b"data: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\n");
        scanner.feed(b"data: {\"type\":\"response.completed\",\"response\":{\"id\":\"gen-5\",\"model\":\"m/x\",\"usage\":{\"input_tokens\":4,\"output_tokens\":2,\"cost\":0.000002}}}\n\n");
        let usage = scanner.finish();
        assert_eq!(usage.generation_id.as_deref(), Some("gen-5"));
        assert_eq!(usage.cost, Some(NanoUsd::from_nanos(2_000)));
        assert_eq!(
            (usage.prompt_tokens, usage.completion_tokens),
            (Some(4), Some(2))
        );

        let mut failed = StreamScanner::default();
        failed.feed(
            b"data: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"reset\"}\n\n",
        );
        assert_eq!(failed.finish().stream_error.as_deref(), Some("reset"));
    }

    #[test]
    fn a_json_answer_is_read_whole() {
        let usage = AnswerUsage::of_json(
            br#"{"id":"gen-4","model":"m/x","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"cost":0.001}}"#,
        );
        assert_eq!(usage.cost, Some(NanoUsd::from_nanos(1_000_000)));
        assert_eq!(usage.generation_id.as_deref(), Some("gen-4"));
        assert_eq!(AnswerUsage::of_json(b"not json"), AnswerUsage::default());
    }
}
