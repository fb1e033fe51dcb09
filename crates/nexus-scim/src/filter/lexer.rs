//! The filter tokenizer: words (attribute paths, operators, keywords), JSON string and number
//! literals, and the four brackets, each with its character position for error messages.

use serde_json::Number;

/// A syntax error at a character position (0-based); callers turn it into `invalidFilter` or
/// `invalidPath`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub position: usize,
    pub message: String,
}

impl SyntaxError {
    pub(crate) fn new(position: usize, message: impl Into<String>) -> Self {
        Self {
            position,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// An attribute path, operator or keyword (`and`, `not`, `true`, …).
    Word(String),
    Str(String),
    Number(Number),
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub position: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.' | '$')
}

/// Splits the input into tokens, ending with [`TokenKind::End`].
pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let kind = match c {
            ' ' | '\t' | '\n' | '\r' => {
                i += 1;
                continue;
            }
            '(' => TokenKind::LParen,
            ')' => TokenKind::RParen,
            '[' => TokenKind::LBracket,
            ']' => TokenKind::RBracket,
            '"' => {
                let (text, next) = string(&chars, i)?;
                i = next;
                tokens.push(Token {
                    kind: TokenKind::Str(text),
                    position: start,
                });
                continue;
            }
            '-' | '0'..='9' => {
                let (number, next) = number(&chars, i)?;
                i = next;
                tokens.push(Token {
                    kind: TokenKind::Number(number),
                    position: start,
                });
                continue;
            }
            c if is_word_char(c) => {
                while i < chars.len() && is_word_char(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                tokens.push(Token {
                    kind: TokenKind::Word(word),
                    position: start,
                });
                continue;
            }
            other => {
                return Err(SyntaxError::new(
                    i,
                    format!("unexpected character '{other}'"),
                ));
            }
        };
        i += 1;
        tokens.push(Token {
            kind,
            position: start,
        });
    }
    tokens.push(Token {
        kind: TokenKind::End,
        position: chars.len(),
    });
    Ok(tokens)
}

/// A JSON string literal starting at the opening quote; returns the text and the index after
/// the closing quote.
fn string(chars: &[char], open: usize) -> Result<(String, usize), SyntaxError> {
    let mut out = String::new();
    let mut i = open + 1;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(SyntaxError::new(open, "unterminated string literal"));
        };
        match c {
            '"' => return Ok((out, i + 1)),
            '\\' => {
                let Some(&esc) = chars.get(i + 1) else {
                    return Err(SyntaxError::new(i, "unterminated escape sequence"));
                };
                i += 2;
                match esc {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    '/' => out.push('/'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'u' => {
                        let (ch, next) = unicode_escape(chars, i)?;
                        out.push(ch);
                        i = next;
                    }
                    other => {
                        return Err(SyntaxError::new(
                            i - 2,
                            format!("invalid escape '\\{other}'"),
                        ));
                    }
                }
            }
            c if (c as u32) < 0x20 => {
                return Err(SyntaxError::new(i, "control character in string literal"));
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}

fn hex4(chars: &[char], at: usize) -> Result<u32, SyntaxError> {
    let digits: String = chars
        .get(at..at + 4)
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    if digits.len() != 4 {
        return Err(SyntaxError::new(at, "\\u needs four hex digits"));
    }
    u32::from_str_radix(&digits, 16).map_err(|_| SyntaxError::new(at, "\\u needs four hex digits"))
}

/// `\uXXXX` (the `\u` already consumed), joining UTF-16 surrogate pairs.
fn unicode_escape(chars: &[char], at: usize) -> Result<(char, usize), SyntaxError> {
    let first = hex4(chars, at)?;
    let mut next = at + 4;
    let code = if (0xD800..0xDC00).contains(&first) {
        if chars.get(next) != Some(&'\\') || chars.get(next + 1) != Some(&'u') {
            return Err(SyntaxError::new(at, "unpaired surrogate in \\u escape"));
        }
        let second = hex4(chars, next + 2)?;
        if !(0xDC00..0xE000).contains(&second) {
            return Err(SyntaxError::new(next, "unpaired surrogate in \\u escape"));
        }
        next += 6;
        0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
    } else {
        first
    };
    char::from_u32(code)
        .map(|c| (c, next))
        .ok_or_else(|| SyntaxError::new(at, "invalid code point in \\u escape"))
}

/// A JSON number literal; returns it and the index after it.
fn number(chars: &[char], start: usize) -> Result<(Number, usize), SyntaxError> {
    let mut i = start;
    let digits = |i: &mut usize| {
        let from = *i;
        while chars.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        *i > from
    };
    if chars.get(i) == Some(&'-') {
        i += 1;
    }
    let mut ok = digits(&mut i);
    if chars.get(i) == Some(&'.') {
        i += 1;
        ok &= digits(&mut i);
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        i += 1;
        if matches!(chars.get(i), Some('+' | '-')) {
            i += 1;
        }
        ok &= digits(&mut i);
    }
    if chars.get(i).is_some_and(|c| is_word_char(*c) && *c != '-') {
        ok = false;
    }
    let text: String = chars[start..i].iter().collect();
    let parsed = if ok {
        serde_json::from_str::<Number>(&text).ok()
    } else {
        None
    };
    parsed
        .map(|n| (n, i))
        .ok_or_else(|| SyntaxError::new(start, format!("invalid number literal '{text}'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<(TokenKind, usize)> {
        tokenize(input)
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.kind, t.position))
            .collect()
    }

    #[test]
    fn tokens_carry_character_positions_even_after_multibyte_text() {
        let tokens = kinds(r#"a eq "é😀" and(b pr)"#);
        let positions: Vec<usize> = tokens.iter().map(|(_, p)| *p).collect();
        assert_eq!(positions, [0, 2, 5, 10, 13, 14, 16, 18, 19]);
        assert_eq!(tokens[2].0, TokenKind::Str("é😀".into()));
        assert_eq!(tokens[8].0, TokenKind::End);
    }

    #[test]
    fn a_closing_bracket_may_be_followed_by_a_sub_attribute() {
        let tokens = kinds(r#"emails[type eq "work"].value"#);
        assert_eq!(tokens[5].0, TokenKind::RBracket);
        assert_eq!(tokens[6].0, TokenKind::Word(".value".into()));
    }

    #[test]
    fn malformed_numbers_and_strings_are_refused_where_they_start() {
        for (input, position) in [
            ("x eq 01", 5),
            ("x eq 1.", 5),
            ("x eq -", 5),
            ("x eq 1e", 5),
            ("x eq \"a\u{1}\"", 7),
        ] {
            assert_eq!(
                tokenize(input).err().map(|e| e.position),
                Some(position),
                "{input}"
            );
        }
    }
}
