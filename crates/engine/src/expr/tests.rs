//! Tests of parsing, printing, evaluation, simplification and derivatives.

use super::simplify::{is_num, is_zero};
use super::*;
use proptest::prelude::*;

fn num(v: f64) -> Expr {
    Expr::Num(v)
}
fn var(s: &str) -> Expr {
    Expr::Var(s.to_string())
}
fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Bin(op, bx(a), bx(b))
}

/// Values for every name used in the tests.
const ENVS: [&[(&str, f64)]; 3] = [
    &[
        ("x", 0.7),
        ("y", 1.3),
        ("t", 2.0),
        ("k", 0.8),
        ("K", 1.1),
        ("n", 2.3),
        ("v", 1.7),
        ("c", 0.4),
        ("w", 0.6),
    ],
    &[
        ("x", 1.9),
        ("y", 0.45),
        ("t", 4.5),
        ("k", 1.6),
        ("K", 0.9),
        ("n", 1.4),
        ("v", 0.3),
        ("c", 1.2),
        ("w", 1.5),
    ],
    &[
        ("x", 2.6),
        ("y", 1.8),
        ("t", 3.7),
        ("k", 0.25),
        ("K", 2.2),
        ("n", 3.1),
        ("v", 2.4),
        ("c", -0.5),
        ("w", 0.35),
    ],
];

fn eval_in(e: &Expr, env: &[(&str, f64)]) -> Result<f64, EvalError> {
    e.eval(&|s| env.iter().find(|(n, _)| *n == s).map(|(_, v)| *v))
}

fn eval_str(src: &str, env: &[(&str, f64)]) -> f64 {
    let e = parse(src).unwrap_or_else(|err| panic!("{src}: {err}"));
    eval_in(&e, env).unwrap_or_else(|err| panic!("{src}: {err}"))
}

// ----- parsing and precedence -------------------------------------------------

#[test]
fn precedence_by_value() {
    let env: &[(&str, f64)] = &[("x", 3.0), ("y", 1.0)];
    let cases: &[(&str, f64)] = &[
        ("-2^2", -4.0),
        ("2^3^2", 512.0),
        ("(2^3)^2", 64.0),
        ("1 - 2 - 3", -4.0),
        ("1 - (2 - 3)", 2.0),
        ("8/2/2", 2.0),
        ("8/(2/2)", 8.0),
        ("2 + 3 * 4", 14.0),
        ("(2 + 3) * 4", 20.0),
        ("2 * 3 + 4", 10.0),
        ("10 - 2 * 3 ^ 2 / 6", 7.0),
        ("2^-1", 0.5),
        ("-2^-2", -0.25),
        ("2^-x^2", 2f64.powf(-9.0)),
        ("-x^2", -9.0),
        ("(-x)^2", 9.0),
        ("--x", 3.0),
        ("-(-2)", 2.0),
        ("+x", 3.0),
        ("- -x", 3.0),
        ("x * -y", -3.0),
        ("x - -y", 4.0),
        ("6 / -2 * 3", -9.0),
        (".5 + 1e-3", 0.501),
        ("2.5E+4", 25000.0),
        ("1.", 1.0),
        ("1.5e2", 150.0),
        ("if(x > 1 and not (y < 0), 3, 4)", 3.0),
        ("if(x > 4 and not (y < 0), 3, 4)", 4.0),
        ("if(x > 1 and not (y < 2), 3, 4)", 4.0),
        ("1 < 2 and 2 < 3", 1.0),
        ("1 > 2 or 3 >= 3", 1.0),
        ("1 > 2 or 3 > 3", 0.0),
        ("0 and 1 or 1", 1.0),
        ("1 or 1 and 0", 1.0),
        ("not 1 > 2", 1.0),
        ("not not 0", 0.0),
        ("x == 3", 1.0),
        ("x != 3", 0.0),
        ("x <= 3", 1.0),
        ("x < 3", 0.0),
        ("x >= 3.5", 0.0),
        ("1 + 2 < 4", 1.0),
        ("hill(2, 2, 3)", 0.5),
        ("inhibit(2, 2, 3)", 0.5),
        ("hill(x, 1, 2)", 0.9),
        ("inhibit(x, 1, 2)", 0.1),
        ("clamp(5, 0, 3)", 3.0),
        ("clamp(-1, 0, 3)", 0.0),
        ("clamp(2, 0, 3)", 2.0),
        ("min(1, 2)", 1.0),
        ("max(1, 2)", 2.0),
        ("log10(1000)", 3.0),
        ("ln(exp(2))", 2.0),
        ("sqrt(16)", 4.0),
        ("abs(-3)", 3.0),
        ("exp(0)", 1.0),
        ("if(y, 5, 6)", 5.0),
        ("if(0, 5, 6)", 6.0),
        ("2 * if(x > 2, x, 0) + 1", 7.0),
    ];
    for (src, want) in cases {
        let got = eval_str(src, env);
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{src}: got {got}, want {want}"
        );
    }
}

#[test]
fn precedence_by_tree() {
    use BinOp::*;
    let cases: Vec<(&str, Expr)> = vec![
        ("-2", num(-2.0)),
        ("- 2", num(-2.0)),
        ("-x", Expr::Neg(bx(var("x")))),
        ("-2^2", Expr::Neg(bx(bin(Pow, num(2.0), num(2.0))))),
        ("-(2)", Expr::Neg(bx(num(2.0)))),
        ("a - -2", bin(Sub, var("a"), num(-2.0))),
        ("x^-1", bin(Pow, var("x"), num(-1.0))),
        ("a^b^c", bin(Pow, var("a"), bin(Pow, var("b"), var("c")))),
        (
            "a - b - c",
            bin(Sub, bin(Sub, var("a"), var("b")), var("c")),
        ),
        (
            "not a and b",
            Expr::And(bx(Expr::Not(bx(var("a")))), bx(var("b"))),
        ),
        (
            "a or b and c",
            Expr::Or(bx(var("a")), bx(Expr::And(bx(var("b")), bx(var("c"))))),
        ),
        (
            "a < b + 1",
            Expr::Cmp(CmpOp::Lt, bx(var("a")), bx(bin(Add, var("b"), num(1.0)))),
        ),
        ("exp", var("exp")),
        ("_k2", var("_k2")),
        ("+x", var("x")),
        (
            "if(c, a, b)",
            Expr::If(bx(var("c")), bx(var("a")), bx(var("b"))),
        ),
        (
            "hill(x, K, n)",
            Expr::Call(Func::Hill, vec![var("x"), var("K"), var("n")]),
        ),
        (
            "min(a,b)*2",
            bin(
                Mul,
                Expr::Call(Func::Min, vec![var("a"), var("b")]),
                num(2.0),
            ),
        ),
        (
            "  x\t*\n(y + 1)  ",
            bin(Mul, var("x"), bin(Add, var("y"), num(1.0))),
        ),
    ];
    for (src, want) in cases {
        assert_eq!(parse(src), Ok(want), "{src}");
    }
}

// ----- errors ---------------------------------------------------------------------

#[test]
fn parse_errors_have_message_and_column() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 1, "empty expression: expected a number, name, function call or `(`"),
        ("   ", 1, "empty expression: expected a number, name, function call or `(`"),
        ("1 +", 4, "expected a number, name, function call or `(`, found end of input"),
        ("2 * (x + )", 10, "expected a number, name, function call or `(`, found `)`"),
        ("(1 + 2", 7, "expected `)` to close the `(` at column 1, found end of input"),
        ("((1) + 2 3)", 10, "expected `)` to close the `(` at column 1, found number `3`"),
        (
            "1 + 2)",
            6,
            "expected an operator or end of input (unmatched `)`), found `)`",
        ),
        ("x y", 3, "expected an operator or end of input, found name `y`"),
        ("1.2.3", 1, "malformed number `1.2.3`"),
        ("x + 1e", 5, "malformed number `1e`: expected digits after the exponent `e`"),
        ("2E+ * 3", 1, "malformed number `2E+`: expected digits after the exponent `E+`"),
        ("1e999", 1, "number `1e999` is out of range"),
        (
            "3 + 2x",
            6,
            "expected an operator after number `2`, found name `x` (write `2 * x` to multiply)",
        ),
        ("expp(x)", 1, "unknown function `expp`; did you mean `exp`?"),
        ("1 + Hill(x, K, n)", 5, "unknown function `Hill`; did you mean `hill`?"),
        ("mix(a, b)", 1, "unknown function `mix`; did you mean `min` or `max`?"),
        (
            "2 * log(x)",
            5,
            "unknown function `log`; did you mean `ln` (natural logarithm) or `log10`?",
        ),
        ("pow(x, 2)", 1, "unknown function `pow`; write `x^y` for powers"),
        (
            "foo(1)",
            1,
            "unknown function `foo`; expected one of exp, ln, log10, sqrt, abs, min, max, hill, inhibit, clamp, if",
        ),
        ("hill(x, K)", 1, "`hill` takes 3 arguments (x, K, n), found 2"),
        ("1 + exp()", 5, "`exp` takes 1 argument (x), found 0"),
        ("max(1, 2, 3)", 1, "`max` takes 2 arguments (a, b), found 3"),
        ("if(x > 1, 2)", 1, "`if` takes 3 arguments (condition, then, else), found 2"),
        ("if x > 1", 4, "expected `(` after `if`, found name `x`"),
        (
            "min(x, y",
            9,
            "expected `,` or `)` after an argument of `min` (opened at column 4), found end of input",
        ),
        (
            "a < b < c",
            7,
            "comparisons cannot be chained: `a < b` is followed by `<`; combine comparisons with `and`",
        ),
        ("x = 1", 3, "unexpected `=`; use `==` to compare"),
        ("x ** 2", 3, "`**` is not an operator; use `^` for powers"),
        ("a && b", 3, "unexpected `&`; use `and` to combine conditions"),
        ("!a", 1, "unexpected `!`; use `not` for negation or `!=` for inequality"),
        ("x $ y", 3, "unexpected character `$`"),
        ("and + 1", 1, "expected a number, name, function call or `(`, found keyword `and`"),
        ("x + not y", 5, "expected a number, name, function call or `(`, found keyword `not`"),
        ("min(1,)", 7, "expected a number, name, function call or `(`, found `)`"),
    ];
    for (src, column, message) in cases {
        let err = parse(src).expect_err(src);
        assert_eq!(
            (err.column, err.message.as_str()),
            (*column, *message),
            "input {src:?}"
        );
        assert_eq!(err.to_string(), format!("at column {column}: {message}"));
    }
}

#[test]
fn error_columns_count_characters_not_bytes() {
    // Two no-break spaces (2 bytes each) before the bad character.
    let src = "x +\u{a0}\u{a0}$";
    let err = parse(src).expect_err("bad char");
    assert_eq!(err.offset, 7);
    assert_eq!(err.column, 6);
    assert_eq!(err.message, "unexpected character `$`");
    let err = parse("µ + 1").expect_err("non-ascii");
    assert_eq!(
        (err.column, err.message.as_str()),
        (1, "unexpected character `µ`")
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let src = format!("{}x{}", "(".repeat(5000), ")".repeat(5000));
    let err = parse(&src).expect_err("too deep");
    assert!(err.message.contains("nested too deeply"), "{}", err.message);
    let src = format!("{}x", "-".repeat(5000));
    assert!(parse(&src).is_err());
    let ok = format!("{}x{}", "(".repeat(50), ")".repeat(50));
    assert_eq!(parse(&ok), Ok(var("x")));
}

/// Runs `f` on a thread with a stack of `bytes`, so that unbounded recursion shows up as a
/// crash here.
fn on_stack<T: Send + 'static>(bytes: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(bytes)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no crash")
}

/// On a 2 MiB stack, the default size of spawned threads.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    on_stack(2 * 1024 * 1024, f)
}

/// `first op term op term ...` with `n` terms in all.
fn chain(n: usize, first: &str, op: &str, term: &str) -> String {
    let mut s = first.to_string();
    for _ in 1..n {
        s.push_str(&format!(" {op} {term}"));
    }
    s
}

#[test]
fn long_flat_chains_are_an_error_not_a_crash() {
    for (op, term) in [
        ("+", "x"),
        ("*", "1"),
        ("-", "x"),
        ("/", "2"),
        ("and", "x"),
        ("or", "x"),
    ] {
        let src = chain(15_000, "x", op, term);
        let err = on_small_stack(move || parse(&src).expect_err("too deep"));
        assert!(
            err.message
                .contains(&format!("nests deeper than {MAX_TREE_DEPTH} levels")),
            "`{op}`: {}",
            err.message
        );
        assert!(err.message.contains("1000"), "{}", err.message);
        assert!(
            err.message.contains("split it into named definitions"),
            "{}",
            err.message
        );
    }
    // The error points at the operator that makes the tree too deep: the 1000th `+`.
    let err = parse(&chain(15_000, "x", "+", "x")).expect_err("too deep");
    assert_eq!(err.column, 4 * MAX_TREE_DEPTH - 1);
    assert_eq!(
        err.to_string(),
        format!("at column {}: {}", err.column, err.message)
    );
}

#[test]
fn tree_depth_counts_chains_inside_parentheses_and_calls() {
    // 150 levels of parentheses (under the nesting limit), each adding 9 terms to the chain.
    let mut src = "x".to_string();
    for _ in 0..150 {
        src = format!("({src}){}", " + x".repeat(9));
    }
    let err = on_small_stack(move || parse(&src).expect_err("too deep"));
    assert!(err.message.contains("nests deeper than"), "{}", err.message);
    let mut src = "x".to_string();
    for _ in 0..150 {
        src = format!("exp({src}{})", " * x".repeat(9));
    }
    let err = on_small_stack(move || parse(&src).expect_err("too deep"));
    assert!(err.message.contains("nests deeper than"), "{}", err.message);
}

#[test]
fn a_chain_at_the_depth_limit_is_accepted_and_one_more_term_is_not() {
    let src = chain(MAX_TREE_DEPTH, "x", "+", "x");
    let e = parse(&src).expect("at the limit");
    assert_eq!(e.depth(), MAX_TREE_DEPTH);
    assert!(parse(&format!("{src} + x")).is_err());
    assert!(
        parse(&format!("{src} * x")).is_ok(),
        "`*` binds tighter: still {MAX_TREE_DEPTH} deep"
    );
    assert!(parse(&format!("-({src})")).is_err());
    // Cloning, comparing and dropping the deepest accepted tree fit a small stack.
    let copy = src.clone();
    on_small_stack(move || {
        let e = parse(&copy).expect("at the limit");
        assert_eq!(e.clone(), e);
        drop(e.clone());
        drop(e);
    });
    // Every other pass fits a main thread's 8 MiB (an unoptimised build needs about 4 MiB for
    // evaluating or differentiating it, an optimised one under 1 MiB).
    on_stack(8 * 1024 * 1024, move || {
        let e = parse(&src).expect("at the limit");
        assert_eq!(eval_in(&e, &[("x", 0.5)]), Ok(0.5 * MAX_TREE_DEPTH as f64));
        assert_eq!(derivative(&e, "x"), num(MAX_TREE_DEPTH as f64));
        assert_eq!(parse(&e.to_string()).as_ref(), Ok(&e));
        assert_eq!(simplify(&e), e);
        let product = parse(&chain(MAX_TREE_DEPTH, "x", "*", "1")).expect("at the limit");
        assert_eq!(simplify(&product), var("x"));
        assert_eq!(derivative(&product, "x"), num(1.0));
    });
}

#[test]
fn a_500_term_sum_parses_evaluates_and_differentiates() {
    on_small_stack(|| {
        let src = (1..=500)
            .map(|i| format!("c{i} * x"))
            .collect::<Vec<_>>()
            .join(" + ");
        let e = parse(&src).expect("500 terms");
        assert_eq!(e.depth(), 501);
        let lookup = |s: &str| match s {
            "x" => Some(0.7),
            c => c.strip_prefix('c')?.parse::<f64>().ok(),
        };
        let sum_c: f64 = (1..=500).map(f64::from).sum();
        let value = e.eval(&lookup).expect("value");
        assert!((value - 0.7 * sum_c).abs() <= 1e-12 * value, "{value}");
        let d = derivative(&e, "x");
        assert_eq!(d.eval(&lookup), Ok(sum_c));
        assert_eq!(d.symbols().len(), 500);
        let dc = derivative(&e, "c7");
        assert_eq!(dc, var("x"));
        assert_eq!(parse(&e.to_string()).as_ref(), Ok(&e));
    });
}

// ----- evaluation and tree utilities ---------------------------------------------

#[test]
fn eval_unknown_symbol_is_named() {
    let e = parse("k * x + missing_one").expect("parses");
    let err = eval_in(&e, &[("k", 1.0), ("x", 2.0)]).expect_err("unknown");
    assert_eq!(err, EvalError::UnknownSymbol("missing_one".into()));
    assert_eq!(err.to_string(), "unknown symbol `missing_one`");
}

#[test]
fn eval_is_lazy_and_propagates_nan_conditions() {
    let e = parse("if(x > 0, x, undefined_name)").expect("parses");
    assert_eq!(eval_in(&e, &[("x", 2.0)]), Ok(2.0));
    let e = parse("if(x, 1, 2)").expect("parses");
    assert!(eval_in(&e, &[("x", f64::NAN)]).expect("ok").is_nan());
    let e = parse("min(x, 1)").expect("parses");
    assert!(eval_in(&e, &[("x", f64::NAN)]).expect("ok").is_nan());
    let e = parse("0 and nothing or 1").expect("parses");
    assert_eq!(eval_in(&e, &[]), Ok(1.0));
}

#[test]
fn eval_wrong_arity_of_hand_built_tree() {
    let e = Expr::Call(Func::Hill, vec![num(1.0)]);
    assert_eq!(
        e.eval(&|_| None),
        Err(EvalError::WrongArity {
            func: "hill",
            expected: 3,
            found: 1
        })
    );
    let e = Expr::Call(Func::Exp, vec![num(1.0); 4]);
    assert!(e.eval(&|_| None).is_err());
    assert!(
        matches!(derivative(&Expr::Call(Func::Min, vec![var("x")]), "x"), Expr::Num(v) if v.is_nan())
    );
}

#[test]
fn symbols_and_visit() {
    let e = parse("k * x + hill(y, K, n) - if(t > 3, x, exp)").expect("parses");
    let syms: Vec<String> = e.symbols().into_iter().collect();
    assert_eq!(syms, ["K", "exp", "k", "n", "t", "x", "y"]);
    let mut seen = Vec::new();
    e.visit_symbols(&mut |s| seen.push(s.to_string()));
    assert_eq!(seen, ["k", "x", "y", "K", "n", "t", "x", "exp"]);
    assert!(e.contains_symbol("t"));
    assert!(!e.contains_symbol("z"));
}

#[test]
fn substitute_replaces_variables() {
    let e = parse("k * x + x^2").expect("parses");
    let s = e.substitute(&|name| (name == "x").then(|| parse("y + 1").expect("parses")));
    assert_eq!(s.to_string(), "k * (y + 1) + (y + 1)^2");
    // The replacement is not substituted again.
    let s = e.substitute(&|name| (name == "x").then(|| var("x")));
    assert_eq!(s, e);
}

#[test]
fn expand_sugar_rewrites_and_preserves_values() {
    let cases = [
        ("hill(x, K, n)", "x^n / (K^n + x^n)"),
        ("inhibit(x, K, n)", "K^n / (K^n + x^n)"),
        ("clamp(x, 0, 1)", "min(max(x, 0), 1)"),
        (
            "1 + hill(clamp(x, c, k), K, 2)",
            "1 + min(max(x, c), k)^2 / (K^2 + min(max(x, c), k)^2)",
        ),
        ("exp(x) + min(x, y)", "exp(x) + min(x, y)"),
    ];
    for (src, want) in cases {
        let e = parse(src).expect("parses");
        let x = e.expand_sugar();
        assert_eq!(x.to_string(), want);
        for env in ENVS {
            assert_eq!(eval_in(&e, env), eval_in(&x, env), "{src}");
        }
    }
}

#[test]
fn is_boolean_looks_at_the_top() {
    for (src, want) in [
        ("x < 1", true),
        ("a and b", true),
        ("a or b", true),
        ("not a", true),
        ("(x < 1)", true),
        ("x + (x < 1)", false),
        ("if(x < 1, 1, 0)", false),
        ("x", false),
    ] {
        assert_eq!(parse(src).expect("parses").is_boolean(), want, "{src}");
    }
}

#[test]
fn func_names_round_trip() {
    for f in Func::ALL {
        assert_eq!(Func::from_name(f.name()), Some(f));
        assert_eq!(f.arity(), f.params().len());
    }
    assert_eq!(Func::from_name("if"), None);
    assert_eq!(Func::from_name("Exp"), None);
    assert_eq!(Func::Hill.arity(), 3);
    assert_eq!(Func::Min.arity(), 2);
    assert_eq!(Func::Sqrt.arity(), 1);
}

// ----- printing -------------------------------------------------------------------

#[test]
fn display_uses_minimal_parentheses() {
    let cases = [
        ("(a + b) * c", "(a + b) * c"),
        ("a + (b * c)", "a + b * c"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a / (b * c)", "a / (b * c)"),
        ("(a^b)^c", "(a^b)^c"),
        ("a^(b^c)", "a^b^c"),
        ("-(x^2)", "-x^2"),
        ("(-x)^2", "(-x)^2"),
        ("(-2)^x", "(-2)^x"),
        ("2^(-1)", "2^-1"),
        ("x^(-y)", "x^-y"),
        ("x^(a*b)", "x^(a * b)"),
        ("-(2)", "-(2)"),
        ("-(-2)", "--2"),
        ("-(a+b)", "-(a + b)"),
        ("not (a and b)", "not (a and b)"),
        ("(not a) and b", "not a and b"),
        ("a or (b or c)", "a or (b or c)"),
        ("(a < b) == (c < d)", "(a < b) == (c < d)"),
        ("(a + 1) < b", "a + 1 < b"),
        ("-(not a)", "-(not a)"),
        ("if(a<b,1,2)*3", "if(a < b, 1, 2) * 3"),
        (
            "1e-7 + 2e20 + 0.001 + 123456.5",
            "1e-7 + 2e20 + 0.001 + 123456.5",
        ),
    ];
    for (src, want) in cases {
        let e = parse(src).expect("parses");
        assert_eq!(e.to_string(), want, "{src}");
        assert_eq!(parse(want), Ok(e), "{want}");
    }
    assert_eq!(num(f64::INFINITY).to_string(), "(1/0)");
    assert_eq!(num(f64::NEG_INFINITY).to_string(), "(-1/0)");
    assert!(
        eval_in(&parse(&num(f64::NAN).to_string()).expect("parses"), &[])
            .expect("evaluates")
            .is_nan()
    );
}

// ----- simplifier -----------------------------------------------------------------

#[test]
fn simplifier_rules() {
    let cases = [
        ("x + 0", "x"),
        ("0 + x", "x"),
        ("x - 0", "x"),
        ("0 - x", "-x"),
        ("x * 1", "x"),
        ("1 * x", "x"),
        ("x * 0", "0"),
        ("0 * x", "0"),
        ("0 / x", "0"),
        ("x / 1", "x"),
        ("x^1", "x"),
        ("x^0", "1"),
        ("1^x", "1"),
        ("--x", "x"),
        ("-(2)", "-2"),
        ("-(-(2))", "2"),
        ("2 * 3 + x", "6 + x"),
        ("x * 2", "2 * x"),
        ("x * -1", "-x"),
        ("-x * y", "-(x * y)"),
        ("-(3 * x)", "-3 * x"),
        ("x + -y", "x - y"),
        ("x - -y", "x + y"),
        ("x + -2", "x - 2"),
        ("-x + y", "y - x"),
        ("exp(0) * x", "x"),
        ("ln(1) + x", "x"),
        ("hill(1, 1, 2)", "0.5"),
        ("min(3, 2 * 4) + max(1, 2)", "5"),
        ("1 / 0", "1 / 0"),
        ("ln(0)", "ln(0)"),
        ("if(x > 1, y, y)", "y"),
        ("if(2 > 1, y, z)", "y"),
        ("if(1 > 2, y, z)", "z"),
        ("if(x > 0, 1 + 1, 2)", "2"),
        ("not (1 > 2)", "1"),
        ("1 < 2 and x > 0", "x > 0"),
        ("1 > 2 and x > 0", "0"),
        ("1 > 2 or x > 0", "x > 0"),
        ("1 < 2 or x > 0", "1"),
        ("1 < 2 and x", "1 and x"),
        ("k * x * (1 + 0 * y) - 0", "k * x"),
    ];
    for (src, want) in cases {
        let e = parse(src).expect("parses");
        assert_eq!(simplify(&e).to_string(), want, "{src}");
    }
}

// ----- derivatives ----------------------------------------------------------------

const DERIV_CASES: &[&str] = &[
    "k * x * hill(y, K, n)",
    "v / (1 + exp(-(x - c) / w))",
    "x^y",
    "min(x, 2 * y)",
    "if(t > 3, x^2, ln(x))",
    "sqrt(x * y)",
    "inhibit(x, K, n)",
    "clamp(x * y, 0.5, 2)",
    "abs(x - y)",
    "max(x^2, y)",
    "log10(x^2 + y)",
    "2^x * x^-1.5",
    "x^n / (K^n + x^n)",
    "exp(-k * t) * x / (1 + y)^2",
    "-x^3 + 4 * x * y - y / x",
    "k * x * (1 - x / K) - v * x * y / (K + x)",
    "if(x > y and not (t < 1), x * y, -x)",
    "hill(x, K, 2) * inhibit(y, K, 3)",
    "(x + y)^(t / 2)",
    "x^0 + x^1 + 3 * x^2 + x^(1/2)",
    "ln(x) * exp(x / y) - sqrt(k) * abs(t)",
    "(x < y) * x + (not (x < y)) * y",
];

/// Fourth-order central difference of `e` in `name` at `env`.
fn central_difference(e: &Expr, env: &[(&str, f64)], name: &str) -> f64 {
    let x0 = env
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .expect("variable present");
    let h = 1e-3 * x0.abs().max(1.0);
    let at = |x: f64| {
        let shifted: Vec<(&str, f64)> = env
            .iter()
            .map(|(n, v)| (*n, if *n == name { x } else { *v }))
            .collect();
        eval_in(e, &shifted).expect("evaluates")
    };
    (at(x0 - 2.0 * h) - 8.0 * at(x0 - h) + 8.0 * at(x0 + h) - at(x0 + 2.0 * h)) / (12.0 * h)
}

/// Patterns the simplifier should have removed.
fn trivial_pattern(e: &Expr) -> Option<String> {
    let found = match e {
        Expr::Bin(BinOp::Add | BinOp::Sub, a, b) if is_zero(a) || is_zero(b) => true,
        Expr::Bin(BinOp::Mul, a, b)
            if is_zero(a) || is_zero(b) || is_num(a, 1.0) || is_num(b, 1.0) =>
        {
            true
        }
        Expr::Bin(BinOp::Div, a, b) if is_zero(a) || is_num(b, 1.0) => true,
        Expr::Bin(BinOp::Pow, _, b) if is_zero(b) || is_num(b, 1.0) => true,
        Expr::Bin(_, a, b) if matches!((&**a, &**b), (Expr::Num(_), Expr::Num(_))) => true,
        Expr::Neg(a) if matches!(**a, Expr::Neg(_) | Expr::Num(_)) => true,
        Expr::If(_, a, b) if a == b => true,
        _ => false,
    };
    if found {
        return Some(e.to_string());
    }
    let mut out = None;
    e.for_each_child(&mut |c| {
        if out.is_none() {
            out = trivial_pattern(c);
        }
    });
    out
}

#[test]
fn derivatives_match_finite_differences() {
    let mut checked = 0;
    for src in DERIV_CASES {
        let e = parse(src).expect("parses");
        for name in e.symbols() {
            let d = derivative(&e, &name);
            assert_eq!(trivial_pattern(&d), None, "d/d{name} {src} = {d}");
            assert_eq!(parse(&d.to_string()), Ok(d.clone()), "round trip of {d}");
            for env in ENVS {
                let sym = eval_in(&d, env).expect("derivative evaluates");
                let fd = central_difference(&e, env, &name);
                assert!(sym.is_finite(), "d/d{name} {src} = {d} -> {sym}");
                let tol = 1e-6 * sym.abs().max(fd.abs()) + 1e-9;
                assert!(
                    (sym - fd).abs() <= tol,
                    "d/d{name} {src} = {d}: symbolic {sym}, finite difference {fd}"
                );
                checked += 1;
            }
        }
        // A variable that does not occur differentiates to exactly 0.
        assert_eq!(derivative(&e, "absent"), num(0.0));
    }
    assert!(checked > 150);
}

#[test]
fn derivatives_are_compact() {
    let cases = [
        ("k * x", "x", "k"),
        ("x^2", "x", "2 * x"),
        ("x^3", "x", "3 * x^2"),
        ("x^-1", "x", "-x^-2"),
        ("x^0.5", "x", "0.5 * x^-0.5"),
        ("x^n", "x", "n * x^(n - 1)"),
        ("x^y", "x", "y * x^(y - 1)"),
        ("x^y", "y", "x^y * ln(x)"),
        ("x^x", "x", "x^x * (ln(x) + x / x)"),
        ("k * x * hill(y, K, n)", "x", "k * hill(y, K, n)"),
        ("exp(-k * t)", "t", "-(exp(-(k * t)) * k)"),
        ("ln(x)", "x", "1 / x"),
        ("sqrt(x * y)", "x", "y / (2 * sqrt(x * y))"),
        ("v / (K + x)", "x", "-(v / (K + x)^2)"),
        ("x / K", "x", "1 / K"),
        ("min(x, 2 * y)", "y", "if(x <= 2 * y, 0, 2)"),
        ("abs(x)", "x", "if(x >= 0, 1, -1)"),
        ("if(t > 3, x^2, ln(x))", "x", "if(t > 3, 2 * x, 1 / x)"),
        ("if(t > 3, x^2, ln(x))", "t", "0"),
        ("x < 3", "x", "0"),
        ("3 * x + 2", "x", "3"),
        ("-x", "x", "-1"),
    ];
    for (src, v, want) in cases {
        let e = parse(src).expect("parses");
        assert_eq!(derivative(&e, v).to_string(), want, "d/d{v} {src}");
    }
}

#[test]
fn derivative_of_constant_base_power_has_no_base_term() {
    // d/dx 2^x = 2^x * ln(2): the ln term is folded to a number; no `x' / u` term.
    let d = derivative(&parse("2^x").expect("parses"), "x");
    assert_eq!(d.to_string(), format!("{} * 2^x", std::f64::consts::LN_2));
    // Exponent without the variable: never a ln term.
    let d = derivative(&parse("(x + 1)^k").expect("parses"), "x");
    assert!(!d.to_string().contains("ln"), "{d}");
}

// ----- property tests -----------------------------------------------------------

const NAMES: [&str; 7] = ["x", "y", "k_1", "K", "_a", "exp", "minx"];

fn arb_num() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1000.0..1000.0f64,
        prop::sample::select(vec![
            0.0, -0.0, 1.0, 2.0, -1.0, 0.5, 1e-20, -3.7e25, 0.1, 3.0
        ]),
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
    ]
}

fn arb_expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        arb_num().prop_map(Expr::Num),
        prop::sample::select(NAMES.to_vec()).prop_map(var),
    ];
    leaf.prop_recursive(6, 64, 3, |inner| {
        let binop = prop::sample::select(vec![
            BinOp::Add,
            BinOp::Sub,
            BinOp::Mul,
            BinOp::Div,
            BinOp::Pow,
        ]);
        let cmpop = prop::sample::select(vec![
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
            CmpOp::Eq,
            CmpOp::Ne,
        ]);
        prop_oneof![
            inner.clone().prop_map(|a| Expr::Neg(bx(a))),
            (binop, inner.clone(), inner.clone()).prop_map(|(op, a, b)| bin(op, a, b)),
            (
                prop::sample::select(Func::ALL.to_vec()),
                prop::collection::vec(inner.clone(), 3)
            )
                .prop_map(|(f, mut args)| {
                    args.truncate(f.arity());
                    Expr::Call(f, args)
                }),
            (cmpop, inner.clone(), inner.clone()).prop_map(|(op, a, b)| Expr::Cmp(
                op,
                bx(a),
                bx(b)
            )),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(bx(a), bx(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Or(bx(a), bx(b))),
            inner.clone().prop_map(|a| Expr::Not(bx(a))),
            (inner.clone(), inner.clone(), inner).prop_map(|(c, a, b)| Expr::If(
                bx(c),
                bx(a),
                bx(b)
            )),
        ]
    })
}

fn arb_env() -> impl Strategy<Value = Vec<(&'static str, f64)>> {
    prop::collection::vec(-3.0..3.0f64, NAMES.len())
        .prop_map(|vals| NAMES.iter().copied().zip(vals).collect())
}

fn same_value(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Every node of the tree (taken branch or not) evaluates to a finite number.
fn all_finite(e: &Expr, env: &[(&str, f64)]) -> bool {
    if !matches!(eval_in(e, env), Ok(v) if v.is_finite()) {
        return false;
    }
    let mut ok = true;
    e.for_each_child(&mut |c| ok = ok && all_finite(c, env));
    ok
}

fn ev(e: &Expr, env: &[(&str, f64)]) -> Result<f64, TestCaseError> {
    eval_in(e, env).map_err(|err| TestCaseError::fail(err.to_string()))
}

#[test]
fn generated_trees_are_mostly_finite_enough_to_test_the_simplifier() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut finite = 0;
    let mut simplified_differently = 0;
    for _ in 0..1000 {
        let e = arb_expr().new_tree(&mut runner).expect("tree").current();
        let env = arb_env().new_tree(&mut runner).expect("env").current();
        if all_finite(&e, &env) {
            finite += 1;
            if simplify(&e) != e {
                simplified_differently += 1;
            }
        }
    }
    assert!(
        finite > 200,
        "only {finite} of 1000 generated trees are finite"
    );
    assert!(
        simplified_differently > 50,
        "only {simplified_differently} simplified"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn display_round_trips(e in arb_expr(), env in arb_env()) {
        let text = e.to_string();
        let back = parse(&text);
        prop_assert_eq!(back.as_ref(), Ok(&e), "printed as {}", text);
        let back = back.map_err(|err| TestCaseError::fail(err.to_string()))?;
        let (a, b) = (ev(&e, &env)?, ev(&back, &env)?);
        prop_assert!(same_value(a, b), "{}: {} vs {}", text, a, b);
    }

    #[test]
    fn simplify_preserves_defined_values(e in arb_expr(), env in arb_env()) {
        prop_assume!(all_finite(&e, &env));
        let s = simplify(&e);
        let (a, b) = (ev(&e, &env)?, ev(&s, &env)?);
        prop_assert!(a == b, "{} = {} but simplified {} = {}", e, a, s, b);
        prop_assert_eq!(parse(&s.to_string()), Ok(s.clone()));
    }

    #[test]
    fn expand_sugar_preserves_values(e in arb_expr(), env in arb_env()) {
        let (a, b) = (ev(&e, &env)?, ev(&e.expand_sugar(), &env)?);
        prop_assert!(same_value(a, b), "{}: {} vs {}", e, a, b);
    }

    #[test]
    fn parser_never_panics(src in "[-+*/^(),.<>=! a-z0-9_]{0,40}") {
        if let Ok(e) = parse(&src) {
            prop_assert_eq!(parse(&e.to_string()), Ok(e));
        }
    }

    #[test]
    fn derivative_never_panics_and_prints_back(e in arb_expr()) {
        let d = derivative(&e, "x");
        let text = d.to_string();
        if d.symbols().iter().all(|s| NAMES.contains(&s.as_str())) && !text.contains("(0/0)") && !text.contains("1/0)") {
            prop_assert_eq!(parse(&text), Ok(d));
        }
    }
}
