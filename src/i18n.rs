//! Interface language: Simplified Chinese by default, English by Accept-Language or a cookie.

use std::collections::HashMap;
use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, FromRequest, HttpRequest};

/// The cookie that remembers a language chosen with the switch; it wins over Accept-Language.
pub const LANG_COOKIE: &str = "lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Lang {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses a language tag loosely: `zh`, `zh-CN`, `zh-Hans` are Chinese; `en-*` is English.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the supported language with the highest q-value; ties keep header order.
    pub fn from_accept_language(value: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("");
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(tag) {
                if q > 0.0 && best.map_or(true, |(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// The language for a request: the cookie if set, else Accept-Language, else Chinese.
    pub fn of_request(req: &HttpRequest) -> Lang {
        if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
            return lang;
        }
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
            .unwrap_or(Lang::ZhCn)
    }

    /// Chooses between a Chinese text and its optional English counterpart.
    pub fn pick<'a>(self, zh: &'a str, en: Option<&'a str>) -> &'a str {
        match (self, en) {
            (Lang::En, Some(en)) if !en.is_empty() => en,
            _ => zh,
        }
    }
}

impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Lang::of_request(req)))
    }
}

/// The interface strings of every language, loaded from the embedded `locales/*.toml`.
pub struct Strings {
    by_lang: HashMap<Lang, serde_json::Value>,
}

impl Strings {
    pub fn load() -> anyhow::Result<Strings> {
        let mut by_lang = HashMap::new();
        for lang in Lang::ALL {
            let name = format!("{}.toml", lang.code());
            let file = crate::assets::Locales::get(&name)
                .ok_or_else(|| anyhow::anyhow!("locale file {name} is missing"))?;
            let text = std::str::from_utf8(&file.data)?;
            let table: toml::Table = toml::from_str(text)
                .map_err(|e| anyhow::anyhow!("locale file {name} is not valid TOML: {e}"))?;
            by_lang.insert(lang, serde_json::to_value(table)?);
        }
        Ok(Strings { by_lang })
    }

    pub fn for_lang(&self, lang: Lang) -> &serde_json::Value {
        &self.by_lang[&lang]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_highest_q() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("fr, en;q=0.5, zh-CN;q=0.8"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_accept_language("de"), None);
        assert_eq!(Lang::from_accept_language("zh-Hans-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_accept_language("en;q=0"), None);
    }

    #[test]
    fn every_language_has_every_string() {
        let strings = Strings::load().unwrap();
        let keys = |lang| -> Vec<String> {
            let mut k: Vec<String> = flatten(strings.for_lang(lang), "");
            k.sort();
            k
        };
        assert_eq!(keys(Lang::ZhCn), keys(Lang::En));
        assert!(keys(Lang::ZhCn).len() > 20);
    }

    fn flatten(value: &serde_json::Value, prefix: &str) -> Vec<String> {
        match value {
            serde_json::Value::Object(map) => map
                .iter()
                .flat_map(|(k, v)| flatten(v, &format!("{prefix}{k}.")))
                .collect(),
            serde_json::Value::String(s) => {
                assert!(!s.trim().is_empty(), "empty string at {prefix}");
                vec![prefix.to_string()]
            }
            other => panic!("unexpected value {other} at {prefix}"),
        }
    }
}
