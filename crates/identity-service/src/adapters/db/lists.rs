//! "Column is one of these values", spelled so a statement's text does not
//! depend on how many values there are: the list is one bound parameter (a
//! PostgreSQL array, a JSON array on SQLite), so the statement stays prepared
//! instead of being parsed and planned again for each length of an `IN` list.

use sea_orm::sea_query::{ArrayType, BinOper, Expr, PgFunc, SimpleExpr, Value};
use sea_orm::{ColumnTrait, DbBackend};

/// `column = ANY($n)` on PostgreSQL, `column IN (SELECT value FROM
/// json_each(?))` on SQLite.
pub fn int_in<C: ColumnTrait>(
    backend: DbBackend,
    column: C,
    values: impl IntoIterator<Item = i32>,
) -> SimpleExpr {
    let values: Vec<i32> = values.into_iter().collect();
    if backend == DbBackend::Postgres {
        any(column, int_array(&values))
    } else {
        json_each(column, serde_json::Value::from(values).to_string())
    }
}

/// As [`int_in`], for text values.
pub fn text_in<C: ColumnTrait>(
    backend: DbBackend,
    column: C,
    values: impl IntoIterator<Item = String>,
) -> SimpleExpr {
    let values: Vec<Option<String>> = values.into_iter().map(Some).collect();
    if backend == DbBackend::Postgres {
        any(column, text_array(&values))
    } else {
        json_each(column, serde_json::Value::from(values).to_string())
    }
}

/// A PostgreSQL `int[]` parameter.
pub fn int_array(values: &[i32]) -> Value {
    let items = values.iter().map(|v| Value::Int(Some(*v))).collect();
    Value::Array(ArrayType::Int, Some(Box::new(items)))
}

/// A PostgreSQL `text[]` parameter; `None` is a NULL element.
pub fn text_array(values: &[Option<String>]) -> Value {
    let items = values
        .iter()
        .map(|v| Value::String(v.clone().map(Box::new)))
        .collect();
    Value::Array(ArrayType::String, Some(Box::new(items)))
}

fn any<C: ColumnTrait>(column: C, array: Value) -> SimpleExpr {
    Expr::col(column.as_column_ref()).eq(PgFunc::any(array))
}

fn json_each<C: ColumnTrait>(column: C, json: String) -> SimpleExpr {
    Expr::col(column.as_column_ref()).binary(
        BinOper::In,
        Expr::cust_with_values("(SELECT value FROM json_each(?))", [json]),
    )
}
