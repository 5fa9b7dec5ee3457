//! Reads a multipart/form-data body as Discord does for uploads: the `payload_json` part and
//! the `files[n]` parts, whose `n` is the id the payload's `attachments` refer to.

use axum::body::Bytes;
use serde_json::Value;

use super::record::Attachment;

/// The parts of an upload.
pub struct Upload {
    /// The parsed `payload_json`, if sent.
    pub payload_json: Option<Value>,
    /// The files, each with `id` set to the `n` of `files[n]` (0 for a lone `file` part).
    pub files: Vec<Attachment>,
}

/// Parses a multipart body; the error says what is wrong with it.
pub async fn parse(content_type: &str, body: Bytes) -> Result<Upload, String> {
    let boundary = multer::parse_boundary(content_type).map_err(|e| e.to_string())?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut upload = Upload {
        payload_json: None,
        files: Vec::new(),
    };
    while let Some(field) = form.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(|m| m.essence_str().to_string());
        let bytes = field.bytes().await.map_err(|e| e.to_string())?;
        if name == "payload_json" {
            let json = serde_json::from_slice(&bytes)
                .map_err(|e| format!("payload_json is not JSON: {e}"))?;
            upload.payload_json = Some(json);
        } else if let Some(id) = file_index(&name) {
            upload.files.push(Attachment {
                id,
                filename: filename.unwrap_or_else(|| name.clone()),
                content_type,
                description: None,
                bytes: bytes.to_vec(),
            });
        }
    }
    Ok(upload)
}

/// `files[3]` -> 3, `file` -> 0.
fn file_index(name: &str) -> Option<u64> {
    if name == "file" {
        return Some(0);
    }
    name.strip_prefix("files[")?.strip_suffix(']')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_payload_json_and_files() {
        let body = "--b\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"chart.png\"\r\n\
            Content-Type: image/png\r\n\r\nPNG\r\n\
            --b\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\r\n{\"content\":\"hi\"}\r\n--b--\r\n";
        let upload = parse("multipart/form-data; boundary=b", Bytes::from(body))
            .await
            .expect("a valid form");
        assert_eq!(
            upload.payload_json,
            Some(serde_json::json!({"content": "hi"}))
        );
        assert_eq!(upload.files.len(), 1);
        assert_eq!(upload.files[0].filename, "chart.png");
        assert_eq!(upload.files[0].bytes, b"PNG");
        assert_eq!(upload.files[0].content_type.as_deref(), Some("image/png"));
    }

    #[tokio::test]
    async fn a_body_without_boundary_is_refused() {
        assert!(parse("multipart/form-data", Bytes::new()).await.is_err());
    }
}
