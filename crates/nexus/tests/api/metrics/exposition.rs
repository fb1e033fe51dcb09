//! A strict parser of the Prometheus text format (0.0.4), as a scraper reads
//! `/metrics`: every line is a `# HELP`, a `# TYPE`, another comment, blank,
//! or a sample `name{label="value",…} value [timestamp]` of a family whose
//! `# TYPE` came before; names, label names and escapes (`\\`, `\"`, `\n`)
//! are checked, and a family is typed once. Label values may hold any
//! character, `{` and `}` included (route templates do).

use std::collections::HashMap;

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: HashMap<String, String>,
    pub value: f64,
}

fn is_name(s: &str, colon: bool) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':'))
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
}

fn value(s: &str) -> Result<f64, String> {
    match s {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => s.parse().map_err(|_| format!("bad value {s:?}")),
    }
}

/// The family a sample name belongs to, given the family's type.
fn belongs(sample: &str, family: &str, kind: &str) -> bool {
    match kind {
        "histogram" => ["_bucket", "_sum", "_count"]
            .iter()
            .any(|suffix| sample.strip_suffix(suffix) == Some(family)),
        "summary" => {
            sample == family
                || ["_sum", "_count"]
                    .iter()
                    .any(|suffix| sample.strip_suffix(suffix) == Some(family))
        }
        _ => sample == family,
    }
}

/// Parses `{a="x",b="y"}` at the start of `rest`; answers the labels and
/// what follows the closing brace.
fn labels(mut rest: &str) -> Result<(HashMap<String, String>, &str), String> {
    let mut labels = HashMap::new();
    rest = rest.strip_prefix('{').ok_or("expected {")?;
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        let (name, after) = rest.split_once("=\"").ok_or("expected name=\"")?;
        if !is_name(name, false) {
            return Err(format!("bad label name {name:?}"));
        }
        let mut label = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => label.push('\\'),
                    Some((_, '"')) => label.push('"'),
                    Some((_, 'n')) => label.push('\n'),
                    other => return Err(format!("bad escape {other:?}")),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => label.push(c),
                None => return Err("unterminated label value".to_owned()),
            }
        };
        if labels.insert(name.to_owned(), label).is_some() {
            return Err(format!("label {name} twice"));
        }
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// Parses a whole exposition.
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut samples = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let fail = |e: String| format!("line {}: {e}: {line:?}", n + 1);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.trim_start().splitn(3, ' ');
            match (words.next(), words.next(), words.next()) {
                (Some("TYPE"), Some(name), Some(kind)) => {
                    let known = ["counter", "gauge", "histogram", "summary", "untyped"];
                    if !is_name(name, true) || !known.contains(&kind) {
                        return Err(fail("bad TYPE".to_owned()));
                    }
                    if types.insert(name.to_owned(), kind.to_owned()).is_some() {
                        return Err(fail("a second TYPE".to_owned()));
                    }
                }
                (Some("HELP"), Some(name), _) if !is_name(name, true) => {
                    return Err(fail("bad HELP".to_owned()));
                }
                _ => {}
            }
            continue;
        }
        let name_end = line
            .find(['{', ' '])
            .ok_or_else(|| fail("no value".to_owned()))?;
        let name = &line[..name_end];
        if !is_name(name, true) {
            return Err(fail("bad metric name".to_owned()));
        }
        let (labels, rest) = if line[name_end..].starts_with('{') {
            labels(&line[name_end..]).map_err(fail)?
        } else {
            (HashMap::new(), &line[name_end..])
        };
        let mut fields = rest.split_whitespace();
        let sample_value =
            value(fields.next().ok_or_else(|| fail("no value".to_owned()))?).map_err(fail)?;
        if let Some(timestamp) = fields.next() {
            timestamp
                .parse::<i64>()
                .map_err(|_| fail("bad timestamp".to_owned()))?;
        }
        if fields.next().is_some() {
            return Err(fail("trailing text".to_owned()));
        }
        if !types
            .iter()
            .any(|(family, kind)| belongs(name, family, kind))
        {
            return Err(fail("a sample of no declared family".to_owned()));
        }
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value: sample_value,
        });
    }
    Ok(samples)
}

#[test]
fn the_parser_refuses_what_a_scraper_would() {
    let good = "# HELP a_total A.\n# TYPE a_total counter\na_total{route=\"/v1/users/{userId}\",q=\"x\\\"y\"} 3\n";
    let samples = parse(good).unwrap();
    assert_eq!(samples[0].labels["route"], "/v1/users/{userId}");
    assert_eq!(samples[0].labels["q"], "x\"y");
    assert_eq!(samples[0].value, 3.0);
    for bad in [
        "a_total 1\n",
        "# TYPE a counter\na{b=\"c} 1\n",
        "# TYPE a counter\na{b=c} 1\n",
        "# TYPE a counter\na 1 2 3\n",
        "# TYPE a counter\n# TYPE a counter\n",
        "# TYPE a counter\na one\n",
        "# TYPE 1a counter\n",
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}
