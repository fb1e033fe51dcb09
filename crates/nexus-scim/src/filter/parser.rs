//! The recursive-descent parser for filters and PATCH paths.
//!
//! ```text
//! filter   = or
//! or       = and *("or" and)
//! and      = unary *("and" unary)
//! unary    = "not" "(" filter ")" / "(" filter ")" / attrExp
//! attrExp  = attrPath "pr" / attrPath compareOp compValue / attrPath "[" filter "]"
//! path     = attrPath ["[" filter "]" ["." subAttr]]       ; PATCH paths only
//! ```
//! Inside `[ … ]` attribute paths name sub-attributes and another `[` is refused, as in
//! RFC 7644's `valFilter`.

use serde_json::Value;

use super::lexer::{SyntaxError, Token, TokenKind, tokenize};
use super::{AttrPath, CompareOp, Filter};

/// The most tokens a filter or path may have, and the deepest nesting of parentheses: the
/// parser, the evaluator and dropping the tree recurse once per level, so both are bounded to
/// keep a hostile filter from exhausting the stack. Real filters stay far below.
const MAX_TOKENS: usize = 1000;
const MAX_DEPTH: usize = 32;

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

/// Parses a whole filter expression.
pub(crate) fn parse_filter(input: &str) -> Result<Filter, SyntaxError> {
    let mut parser = Parser::new(input)?;
    if parser.peek().kind == TokenKind::End {
        return Err(SyntaxError::new(0, "empty filter"));
    }
    let filter = parser.or(false)?;
    parser.expect_end()?;
    Ok(filter)
}

/// Parses a single attribute path (no filter, no brackets).
pub(crate) fn parse_attr_path(input: &str) -> Result<AttrPath, SyntaxError> {
    let mut parser = Parser::new(input)?;
    let path = parser.attr_path()?;
    parser.expect_end()?;
    Ok(path)
}

/// Parses a PATCH `path`: `attrPath`, `attrPath[filter]` or `attrPath[filter].subAttr`.
pub(crate) fn parse_patch_path(
    input: &str,
) -> Result<(AttrPath, Option<Filter>, Option<String>), SyntaxError> {
    let mut parser = Parser::new(input)?;
    let path = parser.attr_path()?;
    if parser.peek().kind != TokenKind::LBracket {
        parser.expect_end()?;
        return Ok((path, None, None));
    }
    if path.sub_attr.is_some() {
        let position = parser.peek().position;
        return Err(SyntaxError::new(
            position,
            "a value filter cannot follow a sub-attribute",
        ));
    }
    parser.advance();
    let filter = parser.or(true)?;
    parser.expect(&TokenKind::RBracket, "']'")?;
    let token = parser.peek().clone();
    let sub = match &token.kind {
        TokenKind::Word(word) if word.starts_with('.') => {
            parser.advance();
            let name = &word[1..];
            check_name(name, token.position + 1)?;
            Some(name.to_owned())
        }
        _ => None,
    };
    parser.expect_end()?;
    Ok((path, Some(filter), sub))
}

impl Parser {
    fn new(input: &str) -> Result<Self, SyntaxError> {
        let tokens = tokenize(input)?;
        if let Some(past) = tokens.get(MAX_TOKENS) {
            return Err(SyntaxError::new(
                past.position,
                format!("more than {MAX_TOKENS} tokens"),
            ));
        }
        Ok(Self {
            tokens,
            at: 0,
            depth: 0,
        })
    }

    fn peek(&self) -> &Token {
        // `tokenize` always ends with `End`, and `advance` never moves past it.
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn peek_second(&self) -> Option<&Token> {
        self.tokens.get(self.at + 1)
    }

    fn advance(&mut self) {
        if self.at + 1 < self.tokens.len() {
            self.at += 1;
        }
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn expect(&mut self, kind: &TokenKind, what: &str) -> Result<(), SyntaxError> {
        if &self.peek().kind == kind {
            self.advance();
            Ok(())
        } else {
            Err(self.unexpected(&format!("expected {what}")))
        }
    }

    fn expect_end(&self) -> Result<(), SyntaxError> {
        match self.peek().kind {
            TokenKind::End => Ok(()),
            _ => Err(self.unexpected("expected 'and', 'or' or the end of the filter")),
        }
    }

    fn unexpected(&self, expected: &str) -> SyntaxError {
        let token = self.peek();
        let found = match &token.kind {
            TokenKind::LParen => "'('".to_owned(),
            TokenKind::RParen => "')'".to_owned(),
            TokenKind::LBracket => "'['".to_owned(),
            TokenKind::RBracket => "']'".to_owned(),
            TokenKind::Word(w) => format!("'{w}'"),
            TokenKind::Str(_) => "a string".to_owned(),
            TokenKind::Number(n) => format!("the number {n}"),
            TokenKind::End => "the end of the input".to_owned(),
        };
        SyntaxError::new(token.position, format!("{expected}, found {found}"))
    }

    fn or(&mut self, in_value: bool) -> Result<Filter, SyntaxError> {
        let mut left = self.and(in_value)?;
        while self.peek_keyword("or") {
            self.advance();
            let right = self.and(in_value)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, in_value: bool) -> Result<Filter, SyntaxError> {
        let mut left = self.unary(in_value)?;
        while self.peek_keyword("and") {
            self.advance();
            let right = self.unary(in_value)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, in_value: bool) -> Result<Filter, SyntaxError> {
        let not_follows = self.peek_keyword("not")
            && self
                .peek_second()
                .is_some_and(|t| t.kind == TokenKind::LParen);
        if not_follows {
            self.advance();
            return Ok(Filter::Not(Box::new(self.group(in_value)?)));
        }
        if self.peek().kind == TokenKind::LParen {
            return self.group(in_value);
        }
        self.attr_exp(in_value)
    }

    fn group(&mut self, in_value: bool) -> Result<Filter, SyntaxError> {
        if self.depth == MAX_DEPTH {
            return Err(SyntaxError::new(
                self.peek().position,
                format!("parentheses nested deeper than {MAX_DEPTH}"),
            ));
        }
        self.expect(&TokenKind::LParen, "'('")?;
        self.depth += 1;
        let inner = self.or(in_value);
        self.depth -= 1;
        let inner = inner?;
        self.expect(&TokenKind::RParen, "')'")?;
        Ok(inner)
    }

    fn attr_exp(&mut self, in_value: bool) -> Result<Filter, SyntaxError> {
        let path = self.attr_path()?;
        if self.peek().kind == TokenKind::LBracket {
            if in_value {
                return Err(self.unexpected("value filters cannot be nested"));
            }
            if path.sub_attr.is_some() {
                return Err(self.unexpected("a value filter cannot follow a sub-attribute"));
            }
            self.advance();
            let inner = self.or(true)?;
            self.expect(&TokenKind::RBracket, "']'")?;
            return Ok(Filter::ValuePath {
                path,
                filter: Box::new(inner),
            });
        }
        let op_token = self.peek().clone();
        let TokenKind::Word(word) = &op_token.kind else {
            return Err(self.unexpected("expected an operator"));
        };
        if word.eq_ignore_ascii_case("pr") {
            self.advance();
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::from_keyword(word) else {
            return Err(self.unexpected("expected an operator (eq ne co sw ew gt ge lt le pr)"));
        };
        self.advance();
        let value = self.comp_value()?;
        Ok(Filter::Compare { path, op, value })
    }

    fn comp_value(&mut self) -> Result<Value, SyntaxError> {
        let value = match &self.peek().kind {
            TokenKind::Str(s) => Value::String(s.clone()),
            TokenKind::Number(n) => Value::Number(n.clone()),
            TokenKind::Word(w) if w.eq_ignore_ascii_case("true") => Value::Bool(true),
            TokenKind::Word(w) if w.eq_ignore_ascii_case("false") => Value::Bool(false),
            TokenKind::Word(w) if w.eq_ignore_ascii_case("null") => Value::Null,
            _ => {
                return Err(self.unexpected("expected a value (string, number, true, false, null)"));
            }
        };
        self.advance();
        Ok(value)
    }

    fn attr_path(&mut self) -> Result<AttrPath, SyntaxError> {
        let token = self.peek().clone();
        let TokenKind::Word(word) = &token.kind else {
            return Err(self.unexpected("expected an attribute path"));
        };
        let path = split_attr_path(word, token.position)?;
        self.advance();
        Ok(path)
    }
}

/// Splits `urn:…:Schema:name.sub` at the last `:` (attribute names never contain one, URNs
/// contain dots such as `2.0`), then the rest at `.`.
fn split_attr_path(word: &str, position: usize) -> Result<AttrPath, SyntaxError> {
    let (urn, rest, offset) = if word.len() > 4 && word[..4].eq_ignore_ascii_case("urn:") {
        match word.rfind(':') {
            Some(colon) => (
                Some(word[..colon].to_owned()),
                &word[colon + 1..],
                colon + 1,
            ),
            None => (None, word, 0),
        }
    } else {
        (None, word, 0)
    };
    let mut parts = rest.splitn(2, '.');
    let name = parts.next().unwrap_or_default();
    check_name(name, position + offset)?;
    let sub_attr = match parts.next() {
        Some(sub) => {
            check_name(sub, position + offset + name.len() + 1)?;
            Some(sub.to_owned())
        }
        None => None,
    };
    Ok(AttrPath {
        urn,
        name: name.to_owned(),
        sub_attr,
    })
}

/// `ATTRNAME = ["$"] ALPHA *(ALPHA / DIGIT / "-" / "_")`; the `$` allows `$ref`.
fn check_name(name: &str, position: usize) -> Result<(), SyntaxError> {
    let body = name.strip_prefix('$').unwrap_or(name);
    let mut chars = body.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(SyntaxError::new(
            position,
            format!("invalid attribute name '{name}'"),
        ))
    }
}
