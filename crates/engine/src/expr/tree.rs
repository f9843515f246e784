//! Tree utilities: children, the names used, substitution and expansion of sugar.

use std::collections::BTreeSet;

use super::{bx, BinOp, Expr, Func};

impl Expr {
    /// Calls `f` on each direct child.
    pub(super) fn for_each_child<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        match self {
            Expr::Num(_) | Expr::Var(_) => {}
            Expr::Neg(a) | Expr::Not(a) => f(a),
            Expr::Bin(_, a, b) | Expr::Cmp(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
                f(a);
                f(b);
            }
            Expr::Call(_, args) => args.iter().for_each(f),
            Expr::If(c, a, b) => {
                f(c);
                f(a);
                f(b);
            }
        }
    }

    /// Rebuilds the node with every direct child replaced by `f(child)`.
    fn map_children(&self, f: &mut dyn FnMut(&Expr) -> Expr) -> Expr {
        match self {
            Expr::Num(v) => Expr::Num(*v),
            Expr::Var(s) => Expr::Var(s.clone()),
            Expr::Neg(a) => Expr::Neg(bx(f(a))),
            Expr::Not(a) => Expr::Not(bx(f(a))),
            Expr::Bin(op, a, b) => Expr::Bin(*op, bx(f(a)), bx(f(b))),
            Expr::Cmp(op, a, b) => Expr::Cmp(*op, bx(f(a)), bx(f(b))),
            Expr::And(a, b) => Expr::And(bx(f(a)), bx(f(b))),
            Expr::Or(a, b) => Expr::Or(bx(f(a)), bx(f(b))),
            Expr::Call(func, args) => Expr::Call(*func, args.iter().map(f).collect()),
            Expr::If(c, a, b) => Expr::If(bx(f(c)), bx(f(a)), bx(f(b))),
        }
    }

    /// Number of nodes on the longest path from the root to a leaf (a name or number alone is
    /// 1 deep). Walks the tree without recursion, so any tree can be measured.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(self, 1)];
        while let Some((e, d)) = stack.pop() {
            deepest = deepest.max(d);
            e.for_each_child(&mut |c| stack.push((c, d + 1)));
        }
        deepest
    }

    /// All variable names used, sorted and without repetitions.
    pub fn symbols(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.visit_symbols(&mut |s| {
            if !out.contains(s) {
                out.insert(s.to_string());
            }
        });
        out
    }

    /// Calls `f` for every variable occurrence, left to right (repeats included).
    pub fn visit_symbols(&self, f: &mut impl FnMut(&str)) {
        if let Expr::Var(name) = self {
            f(name);
        } else {
            self.for_each_child(&mut |c| c.visit_symbols(f));
        }
    }

    /// Whether the variable `name` occurs anywhere in the expression.
    pub fn contains_symbol(&self, name: &str) -> bool {
        match self {
            Expr::Var(v) => v == name,
            _ => {
                let mut found = false;
                self.for_each_child(&mut |c| found = found || c.contains_symbol(name));
                found
            }
        }
    }

    /// Replaces every variable for which `f` returns `Some` (the replacement
    /// itself is not substituted again).
    pub fn substitute(&self, f: &dyn Fn(&str) -> Option<Expr>) -> Expr {
        match self {
            Expr::Var(name) => f(name).unwrap_or_else(|| self.clone()),
            _ => self.map_children(&mut |c| c.substitute(f)),
        }
    }

    /// Rewrites `hill`, `inhibit` and `clamp` (everywhere in the tree) into
    /// core operations; evaluates to exactly the same values.
    pub fn expand_sugar(&self) -> Expr {
        if let Expr::Call(func @ (Func::Hill | Func::Inhibit | Func::Clamp), args) = self {
            let args: Vec<Expr> = args.iter().map(Expr::expand_sugar).collect();
            if let [a0, a1, a2] = args.as_slice() {
                let pow = |a: &Expr, b: &Expr| Expr::Bin(BinOp::Pow, bx(a.clone()), bx(b.clone()));
                let sum = |a: Expr, b: Expr| Expr::Bin(BinOp::Add, bx(a), bx(b));
                let div = |a: Expr, b: Expr| Expr::Bin(BinOp::Div, bx(a), bx(b));
                return match func {
                    // hill(x, K, n) = x^n / (K^n + x^n)
                    Func::Hill => div(pow(a0, a2), sum(pow(a1, a2), pow(a0, a2))),
                    // inhibit(x, K, n) = K^n / (K^n + x^n)
                    Func::Inhibit => div(pow(a1, a2), sum(pow(a1, a2), pow(a0, a2))),
                    // clamp(x, lo, hi) = min(max(x, lo), hi)
                    _ => Expr::Call(
                        Func::Min,
                        vec![
                            Expr::Call(Func::Max, vec![a0.clone(), a1.clone()]),
                            a2.clone(),
                        ],
                    ),
                };
            }
            return Expr::Call(*func, args);
        }
        self.map_children(&mut |c| c.expand_sugar())
    }

    /// Whether the top of the tree is boolean-valued (comparison, `and`, `or`, `not`).
    pub fn is_boolean(&self) -> bool {
        matches!(
            self,
            Expr::Cmp(..) | Expr::And(..) | Expr::Or(..) | Expr::Not(..)
        )
    }
}
