//! Page rendering with Tera: embedded templates, optionally overridden from a folder.

use std::path::Path;

use std::future::{ready, Ready};

use actix_web::{dev::Payload, FromRequest, HttpMessage, HttpRequest};
use serde::Serialize;

use crate::assets::Templates;
use crate::auth::session::{Resolved, SessionUser};
use crate::i18n::{Lang, Strings};

pub struct Renderer {
    tera: tera::Tera,
    strings: Strings,
}

impl Renderer {
    /// Loads the embedded templates, then any same-named files from `override_dir`.
    pub fn new(override_dir: Option<&Path>) -> anyhow::Result<Renderer> {
        let mut tera = tera::Tera::default();
        let mut sources: Vec<(String, String)> = Vec::new();
        for name in Templates::iter() {
            let file = Templates::get(&name).expect("listed template exists");
            sources.push((name.to_string(), String::from_utf8(file.data.into_owned())?));
        }
        if let Some(dir) = override_dir {
            for (name, text) in sources.iter_mut() {
                let custom = dir.join(&*name);
                if custom.is_file() {
                    *text = std::fs::read_to_string(&custom).map_err(|e| {
                        anyhow::anyhow!("cannot read template {}: {e}", custom.display())
                    })?;
                }
            }
        }
        tera.add_raw_templates(sources)
            .map_err(|e| anyhow::anyhow!("templates do not compile: {}", tera_chain(&e)))?;
        tera.autoescape_on(vec![".html"]);
        tera.register_filter("urlencode", urlencode_filter);
        tera.register_filter("datetime", datetime_filter);
        tera.register_function("static_url", static_url_function);
        tera.set_escape_fn(escape_html);
        Ok(Renderer {
            tera,
            strings: Strings::load()?,
        })
    }

    /// Renders `template` with `page` as `page`, the language's strings as `t`, and the
    /// reader's language and current path (for the language switch).
    pub fn render<P: Serialize>(
        &self,
        template: &str,
        env: &PageEnv,
        page: &P,
    ) -> anyhow::Result<String> {
        let mut ctx = tera::Context::new();
        ctx.insert("page", page);
        ctx.insert("t", self.strings.for_lang(env.lang));
        ctx.insert("lang", env.lang.code());
        ctx.insert("current_path", &env.path);
        ctx.insert("user", &env.user);
        ctx.insert("csrf_token", &env.csrf_token);
        self.tera
            .render(template, &ctx)
            .map_err(|e| anyhow::anyhow!("rendering {template}: {}", tera_chain(&e)))
    }
}

impl Renderer {
    /// One interface string by its dotted key (`auth.throttled`), for messages built in code.
    pub fn string(&self, lang: Lang, key: &str) -> String {
        let mut value = self.strings.for_lang(lang);
        for part in key.split('.') {
            value = &value[part];
        }
        value.as_str().unwrap_or(key).to_string()
    }
}

/// What every page needs to know about the request it answers.
#[derive(Debug, Clone)]
pub struct PageEnv {
    pub lang: Lang,
    /// Path and query of the request, for links back to it.
    pub path: String,
    pub user: Option<SessionUser>,
    /// The session's CSRF token, put into every form.
    pub csrf_token: String,
}

impl PageEnv {
    pub fn of_request(req: &HttpRequest) -> PageEnv {
        let uri = req.uri();
        let user = req.extensions().get::<Resolved>().and_then(|r| r.0.clone());
        PageEnv {
            lang: Lang::of_request(req),
            path: uri.path_and_query().map_or("/", |p| p.as_str()).to_string(),
            csrf_token: user.as_ref().and_then(|u| u.csrf_token.clone()).unwrap_or_default(),
            user,
        }
    }
}

impl FromRequest for PageEnv {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(PageEnv::of_request(req)))
    }
}

/// Escapes the characters that matter in HTML text and quoted attributes. Tera's default
/// also escapes '/', which makes every URL in the page source unreadable.
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Formats unix milliseconds as `YYYY-MM-DD HH:MM` in China Standard Time (UTC+8, no
/// daylight saving), the time every school in the bureau's region keeps.
/// `static_url(path="app.css")`: the asset's versioned URL, cached for a year.
fn static_url_function(args: &std::collections::HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let path = args.get("path").and_then(|p| p.as_str()).ok_or_else(|| tera::Error::msg("static_url needs path=\"...\""))?;
    Ok(tera::Value::String(crate::assets::static_url(path)))
}

fn datetime_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let ms = value.as_i64().ok_or_else(|| tera::Error::msg("datetime expects unix milliseconds"))?;
    Ok(tera::Value::String(format_cst(ms)))
}

pub fn format_cst(ms: i64) -> String {
    let secs = ms.div_euclid(1000) + 8 * 3600;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", rest / 3600, rest % 3600 / 60)
}

/// Percent-encodes a value for use inside a URL query (Tera's built-in needs a heavy feature).
fn urlencode_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = value.as_str().ok_or_else(|| tera::Error::msg("urlencode expects a string"))?;
    Ok(tera::Value::String(
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string(),
    ))
}

/// Tera nests the useful message several causes deep.
fn tera_chain(err: &tera::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn china_standard_time() {
        assert_eq!(super::format_cst(0), "1970-01-01 08:00");
        assert_eq!(super::format_cst(1_795_766_400_000), "2026-11-27 16:00");
        assert_eq!(super::format_cst(951_782_400_000 - 8 * 3_600_000), "2000-02-29 00:00");
    }
}
