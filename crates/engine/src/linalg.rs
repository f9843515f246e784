//! A sparse LU for the small iteration matrices of the BDF method.
//!
//! The stiff integrator factorises `I - c J` every time its step size or order changes, and
//! solves with the factors at every Newton iteration. The matrix is small (tens of states),
//! sparse, and its pattern never changes within a run, nor between the subjects of a trial.
//! A general sparse LU (faer's, with partial pivoting and a fresh symbolic analysis per
//! solver) spends most of its time on bookkeeping at this size: measured on a 1,000-woman
//! placebo-vs-denosumab trial, numeric factorisation, row permutations and triangular solves
//! took more than half of the run.
//!
//! [`StaticLu`] therefore analyses the pattern once per thread: it orders the unknowns by
//! minimum degree, computes the fill of an LU without pivoting on that order, and compiles
//! the factorisation into a flat list of multiply-subtract updates on a small dense work
//! array. The numeric factorisation is then one pass over that list, a solve one pass over
//! the factors. Pivots stay on the diagonal, which suits `I - c J` (its diagonal is one
//! plus `-c J_ii`); a factorisation whose multipliers grow beyond [`GROWTH_LIMIT`] or whose
//! pivot vanishes is redone with faer's pivoting LU, so accuracy never rests on the static
//! order.

use std::cell::RefCell;
use std::rc::Rc;

use diffsol::{FaerContext, FaerSparseLU, FaerSparseMat, FaerVec, LaError, LaLinearOp, Matrix};
use diffsol::{MatrixCommon, Vector};
use diffsol_la::LinearSolver;

type Mat = FaerSparseMat<f64>;

/// Largest multiplier |l_ik| accepted from the static order before falling back to pivoting.
pub const GROWTH_LIMIT: f64 = 1e4;

/// The compiled factorisation of one sparsity pattern.
#[derive(Debug, PartialEq)]
struct Plan {
    n: usize,
    /// Compressed-column pattern the plan was built for (to recognise it again).
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    /// Elimination position -> original index.
    order: Vec<usize>,
    /// Work-array position of each stored entry of the matrix, in storage order.
    scatter: Vec<u32>,
    /// Work-array positions of every entry of L + U (cleared before scattering).
    factor_pattern: Vec<u32>,
    /// Work-array position of the k-th pivot.
    pivot: Vec<u32>,
    /// Below-diagonal entries of column k of L: `l[l_ptr[k]..l_ptr[k + 1]]` as
    /// (work position, row).
    l_ptr: Vec<u32>,
    l: Vec<(u32, u32)>,
    /// Left of the diagonal entries of row k of L, as (work position, column).
    lr_ptr: Vec<u32>,
    lr: Vec<(u32, u32)>,
    /// Above-diagonal entries of column k of U, as (work position, row).
    u_ptr: Vec<u32>,
    u: Vec<(u32, u32)>,
    /// Right of the diagonal entries of row k of U, as (work position, column).
    ur_ptr: Vec<u32>,
    ur: Vec<(u32, u32)>,
    /// Updates of pivot step k: `w[dst] -= w[lpos] * w[upos]`.
    update_ptr: Vec<u32>,
    updates: Vec<[u32; 3]>,
}

impl Plan {
    fn matches(&self, col_ptr: &[usize], row_idx: &[usize]) -> bool {
        self.col_ptr == col_ptr && self.row_idx == row_idx
    }

    /// Analyse a square compressed-column pattern (`col_ptr` of length n + 1).
    fn new(n: usize, col_ptr: &[usize], row_idx: &[usize]) -> Plan {
        // Structural pattern with the diagonal always present.
        let mut s = vec![false; n * n];
        for j in 0..n {
            for &i in &row_idx[col_ptr[j]..col_ptr[j + 1]] {
                s[i * n + j] = true;
            }
            s[j * n + j] = true;
        }
        let order = minimum_degree(n, &s);
        let mut position = vec![0usize; n];
        for (k, &i) in order.iter().enumerate() {
            position[i] = k;
        }
        // Pattern in elimination order, then its fill under elimination without pivoting.
        let mut f = vec![false; n * n];
        for i in 0..n {
            for j in 0..n {
                if s[i * n + j] {
                    f[position[i] * n + position[j]] = true;
                }
            }
        }
        for k in 0..n {
            for i in k + 1..n {
                if f[i * n + k] {
                    for j in k + 1..n {
                        if f[k * n + j] {
                            f[i * n + j] = true;
                        }
                    }
                }
            }
        }
        let at = |i: usize, j: usize| (i * n + j) as u32;
        let mut scatter = Vec::with_capacity(row_idx.len());
        for j in 0..n {
            for &i in &row_idx[col_ptr[j]..col_ptr[j + 1]] {
                scatter.push(at(position[i], position[j]));
            }
        }
        let factor_pattern: Vec<u32> = (0..n * n).filter(|&p| f[p]).map(|p| p as u32).collect();
        let pivot = (0..n).map(|k| at(k, k)).collect();
        let (mut l_ptr, mut l) = (vec![0u32], Vec::new());
        let (mut lr_ptr, mut lr) = (vec![0u32], Vec::new());
        let (mut u_ptr, mut u) = (vec![0u32], Vec::new());
        let (mut ur_ptr, mut ur) = (vec![0u32], Vec::new());
        let (mut update_ptr, mut updates) = (vec![0u32], Vec::new());
        for k in 0..n {
            let below: Vec<usize> = (k + 1..n).filter(|&i| f[i * n + k]).collect();
            let right: Vec<usize> = (k + 1..n).filter(|&j| f[k * n + j]).collect();
            l.extend(below.iter().map(|&i| (at(i, k), i as u32)));
            lr.extend(
                (0..k)
                    .filter(|&j| f[k * n + j])
                    .map(|j| (at(k, j), j as u32)),
            );
            u.extend(
                (0..k)
                    .filter(|&i| f[i * n + k])
                    .map(|i| (at(i, k), i as u32)),
            );
            ur.extend(right.iter().map(|&j| (at(k, j), j as u32)));
            for &i in &below {
                for &j in &right {
                    updates.push([at(i, j), at(i, k), at(k, j)]);
                }
            }
            l_ptr.push(l.len() as u32);
            lr_ptr.push(lr.len() as u32);
            u_ptr.push(u.len() as u32);
            ur_ptr.push(ur.len() as u32);
            update_ptr.push(updates.len() as u32);
        }
        Plan {
            n,
            col_ptr: col_ptr.to_vec(),
            row_idx: row_idx.to_vec(),
            order,
            scatter,
            factor_pattern,
            pivot,
            l_ptr,
            l,
            lr_ptr,
            lr,
            u_ptr,
            u,
            ur_ptr,
            ur,
            update_ptr,
            updates,
        }
    }

    /// Factorise `values` (stored in the plan's pattern) into `w`. Returns false when a pivot
    /// vanishes or a multiplier exceeds [`GROWTH_LIMIT`].
    fn factor(&self, values: &[f64], w: &mut [f64]) -> bool {
        for &p in &self.factor_pattern {
            w[p as usize] = 0.0;
        }
        for (&p, &v) in self.scatter.iter().zip(values) {
            w[p as usize] += v;
        }
        let mut growth: f64 = 0.0;
        for k in 0..self.n {
            let pivot = w[self.pivot[k] as usize];
            if pivot == 0.0 || !pivot.is_finite() {
                return false;
            }
            let inv = 1.0 / pivot;
            for &(p, _) in &self.l[self.l_ptr[k] as usize..self.l_ptr[k + 1] as usize] {
                let m = w[p as usize] * inv;
                w[p as usize] = m;
                growth = growth.max(m.abs());
            }
            for &[dst, lp, up] in
                &self.updates[self.update_ptr[k] as usize..self.update_ptr[k + 1] as usize]
            {
                w[dst as usize] -= w[lp as usize] * w[up as usize];
            }
        }
        growth <= GROWTH_LIMIT
    }

    /// Gather the factors from the work array into `f`, in the order the solves read them.
    fn gather(&self, w: &[f64], f: &mut Factors) {
        for (v, &(p, _)) in f.l.iter_mut().zip(&self.l) {
            *v = w[p as usize];
        }
        for (v, &(p, _)) in f.lr.iter_mut().zip(&self.lr) {
            *v = w[p as usize];
        }
        for (v, &(p, _)) in f.u.iter_mut().zip(&self.u) {
            *v = w[p as usize];
        }
        for (v, &(p, _)) in f.ur.iter_mut().zip(&self.ur) {
            *v = w[p as usize];
        }
        for (v, &p) in f.inv_pivot.iter_mut().zip(&self.pivot) {
            *v = 1.0 / w[p as usize];
        }
    }

    /// Solve `A x = b` (or `A^T x = b`) in place with the factors `f`; `x` is scratch.
    fn solve(&self, f: &Factors, b: &mut [f64], x: &mut [f64], transpose: bool) {
        for (xk, &i) in x.iter_mut().zip(&self.order) {
            *xk = b[i];
        }
        // Every substitution is written as dot products over rows (of L and U, or of their
        // transposes): each unknown is accumulated in a register and stored once.
        let range = |ptr: &[u32], k: usize| ptr[k] as usize..ptr[k + 1] as usize;
        let dot = |values: &[f64], at: &[(u32, u32)], x: &[f64]| -> f64 {
            values
                .iter()
                .zip(at)
                .map(|(&v, &(_, j))| v * x[j as usize])
                .sum()
        };
        let (first, first_ptr, second, second_ptr) = if transpose {
            // A^T = U^T L^T: U^T is lower triangular (its rows are U's columns), L^T upper.
            ((&f.u, &self.u), &self.u_ptr, (&f.l, &self.l), &self.l_ptr)
        } else {
            (
                (&f.lr, &self.lr),
                &self.lr_ptr,
                (&f.ur, &self.ur),
                &self.ur_ptr,
            )
        };
        // Lower-triangular sweep (unit diagonal for L, U's pivots for U^T).
        for k in 0..self.n {
            let r = range(first_ptr, k);
            let s = x[k] - dot(&first.0[r.clone()], &first.1[r], x);
            x[k] = if transpose { s * f.inv_pivot[k] } else { s };
        }
        // Upper-triangular sweep, from the last unknown.
        for k in (0..self.n).rev() {
            let r = range(second_ptr, k);
            let s = x[k] - dot(&second.0[r.clone()], &second.1[r], x);
            x[k] = if transpose { s } else { s * f.inv_pivot[k] };
        }
        for (&xk, &i) in x.iter().zip(&self.order) {
            b[i] = xk;
        }
    }
}

/// The factors of one matrix, laid out contiguously in the order the solves read them.
#[derive(Debug, Default, Clone)]
struct Factors {
    /// Multipliers of L by columns, as `Plan::l`, and by rows, as `Plan::lr`.
    l: Vec<f64>,
    lr: Vec<f64>,
    /// U above the diagonal by columns, as `Plan::u`, and by rows, as `Plan::ur`.
    u: Vec<f64>,
    ur: Vec<f64>,
    inv_pivot: Vec<f64>,
}

impl Factors {
    fn for_plan(p: &Plan) -> Factors {
        Factors {
            l: vec![0.0; p.l.len()],
            lr: vec![0.0; p.lr.len()],
            u: vec![0.0; p.u.len()],
            ur: vec![0.0; p.ur.len()],
            inv_pivot: vec![0.0; p.n],
        }
    }
}

/// Minimum-degree elimination order of the symmetrised pattern `s` (n x n, row-major).
/// Ties go to the lowest index, so the order is deterministic.
fn minimum_degree(n: usize, s: &[bool]) -> Vec<usize> {
    let mut adj: Vec<Vec<bool>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| i != j && (s[i * n + j] || s[j * n + i]))
                .collect()
        })
        .collect();
    let mut eliminated = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for _ in 0..n {
        let degree = |i: usize| (0..n).filter(|&j| !eliminated[j] && adj[i][j]).count();
        let v = (0..n)
            .filter(|&i| !eliminated[i])
            .min_by_key(|&i| (degree(i), i))
            .expect("a node is left");
        let neighbours: Vec<usize> = (0..n).filter(|&j| !eliminated[j] && adj[v][j]).collect();
        for &a in &neighbours {
            for &b in &neighbours {
                if a != b {
                    adj[a][b] = true;
                }
            }
        }
        eliminated[v] = true;
        order.push(v);
    }
    order
}

thread_local! {
    /// The last plan built on this thread: every subject of a trial shares one pattern.
    static LAST_PLAN: RefCell<Option<Rc<Plan>>> = const { RefCell::new(None) };
}

fn plan_for(n: usize, col_ptr: &[usize], row_idx: &[usize]) -> Rc<Plan> {
    LAST_PLAN.with(|cell| {
        let mut cell = cell.borrow_mut();
        match cell.as_ref() {
            Some(p) if p.n == n && p.matches(col_ptr, row_idx) => p.clone(),
            _ => {
                let p = Rc::new(Plan::new(n, col_ptr, row_idx));
                *cell = Some(p.clone());
                p
            }
        }
    })
}

/// Sparse LU with a static, fill-reducing pivot order and a pivoting fallback (see the
/// module documentation). A [`LinearSolver`] for diffsol's BDF.
#[derive(Default)]
pub struct StaticLu {
    a: Option<Mat>,
    plan: Option<Rc<Plan>>,
    /// The plan's dense work array, and the factors gathered from it.
    work: Vec<f64>,
    factors: Factors,
    scratch: RefCell<Vec<f64>>,
    /// Used for factorisations the static order cannot take; set up on first need.
    fallback: Option<FaerSparseLU<f64>>,
    fallback_active: bool,
}

impl StaticLu {
    fn matrix_values(a: &Mat) -> &[f64] {
        a.inner()[0].val()
    }
}

impl LinearSolver<Mat> for StaticLu {
    fn set_sparsity<C: LaLinearOp<T = f64, V = FaerVec<f64>, M = Mat, C = FaerContext>>(
        &mut self,
        op: &C,
    ) {
        let a = Mat::new_from_sparsity(op.nrows(), op.ncols(), op.sparsity(), *op.context());
        assert_eq!(
            op.nrows(),
            op.ncols(),
            "the iteration matrix must be square"
        );
        let n = op.nrows();
        let plan = {
            let s = a.inner()[0].symbolic();
            assert!(
                s.col_nnz().is_none(),
                "the iteration matrix must be stored compressed"
            );
            plan_for(n, s.col_ptr(), s.row_idx())
        };
        self.work = vec![0.0; n * n];
        self.factors = Factors::for_plan(&plan);
        *self.scratch.borrow_mut() = vec![0.0; n];
        self.plan = Some(plan);
        self.a = Some(a);
        self.fallback = None;
        self.fallback_active = false;
    }

    fn set_linearisation<C: LaLinearOp<T = f64, V = FaerVec<f64>, M = Mat, C = FaerContext>>(
        &mut self,
        op: &C,
    ) {
        let (Some(a), Some(plan)) = (self.a.as_mut(), self.plan.as_ref()) else {
            panic!("set_sparsity must come before set_linearisation");
        };
        op.matrix_inplace(a);
        self.fallback_active = !plan.factor(Self::matrix_values(a), &mut self.work);
        if self.fallback_active {
            let lu = self.fallback.get_or_insert_with(|| {
                let mut lu = FaerSparseLU::default();
                lu.set_sparsity(op);
                lu
            });
            lu.set_linearisation(op);
        } else {
            plan.gather(&self.work, &mut self.factors);
        }
    }

    fn solve_in_place(&self, b: &mut FaerVec<f64>) -> Result<(), LaError> {
        self.solve_impl(b, false)
    }

    fn solve_transpose_in_place(&self, b: &mut FaerVec<f64>) -> Result<(), LaError> {
        self.solve_impl(b, true)
    }
}

impl StaticLu {
    fn solve_impl(&self, b: &mut FaerVec<f64>, transpose: bool) -> Result<(), LaError> {
        if self.fallback_active {
            let lu = self.fallback.as_ref().expect("fallback factorised");
            return if transpose {
                lu.solve_transpose_in_place(b)
            } else {
                lu.solve_in_place(b)
            };
        }
        let plan = self
            .plan
            .as_ref()
            .expect("set_sparsity must come before solving");
        let data = b.inner_mut();
        let mut x = self.scratch.borrow_mut();
        for c in 0..data.ncols() {
            plan.solve(&self.factors, data.col_as_slice_mut(c), &mut x, transpose);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random sequence in (-1, 1).
    fn noise(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    /// A random sparse pattern with a full diagonal, as compressed columns.
    fn pattern(n: usize, density: f64, seed: &mut u64) -> (Vec<usize>, Vec<usize>) {
        let mut col_ptr = vec![0];
        let mut row_idx = Vec::new();
        for j in 0..n {
            for i in 0..n {
                if i == j || noise(seed).abs() < density {
                    row_idx.push(i);
                }
            }
            col_ptr.push(row_idx.len());
        }
        (col_ptr, row_idx)
    }

    fn dense(n: usize, col_ptr: &[usize], row_idx: &[usize], v: &[f64]) -> Vec<f64> {
        let mut a = vec![0.0; n * n];
        for j in 0..n {
            for p in col_ptr[j]..col_ptr[j + 1] {
                a[row_idx[p] * n + j] = v[p];
            }
        }
        a
    }

    fn residual(n: usize, a: &[f64], x: &[f64], b: &[f64], transpose: bool) -> f64 {
        (0..n)
            .map(|i| {
                let ax: f64 = (0..n)
                    .map(|j| if transpose { a[j * n + i] } else { a[i * n + j] } * x[j])
                    .sum();
                (ax - b[i]).abs()
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn solves_iteration_matrices_and_their_transposes() {
        let mut seed = 7;
        let mut factored = 0;
        for trial in 0..40 {
            let n = 5 + trial % 50;
            let (col_ptr, row_idx) = pattern(n, 0.12, &mut seed);
            let plan = Plan::new(n, &col_ptr, &row_idx);
            // I - c J with c large enough that the matrix is far from the identity.
            let c = 10f64.powi(trial as i32 % 5 - 1);
            let v: Vec<f64> = (0..row_idx.len())
                .map(|p| {
                    let j = col_ptr.partition_point(|&q| q <= p) - 1;
                    let jac = noise(&mut seed) - if row_idx[p] == j { 2.0 } else { 0.0 };
                    (row_idx[p] == j) as u8 as f64 - c * jac
                })
                .collect();
            let a = dense(n, &col_ptr, &row_idx, &v);
            let mut w = vec![0.0; n * n];
            if !plan.factor(&v, &mut w) {
                continue;
            }
            factored += 1;
            let mut factors = Factors::for_plan(&plan);
            plan.gather(&w, &mut factors);
            for transpose in [false, true] {
                let b: Vec<f64> = (0..n).map(|_| noise(&mut seed)).collect();
                let mut x = b.clone();
                let mut scratch = vec![0.0; n];
                plan.solve(&factors, &mut x, &mut scratch, transpose);
                let r = residual(n, &a, &x, &b, transpose);
                assert!(r < 1e-10, "n {n} c {c} transpose {transpose}: residual {r}");
            }
        }
        assert!(
            factored >= 30,
            "only {factored} of 40 factorised without pivoting"
        );
    }

    #[test]
    fn a_vanishing_pivot_is_refused() {
        // [[0, 1], [1, 0]]: solvable, but not without exchanging rows.
        let plan = Plan::new(2, &[0, 2, 4], &[0, 1, 0, 1]);
        let mut w = vec![0.0; 4];
        assert!(!plan.factor(&[0.0, 1.0, 1.0, 0.0], &mut w));
        // A tiny pivot gives huge multipliers: refused as well.
        assert!(!plan.factor(&[1e-9, 1.0, 1.0, 1.0], &mut w));
        assert!(plan.factor(&[2.0, 1.0, 1.0, 3.0], &mut w));
    }

    #[test]
    fn minimum_degree_eliminates_an_arrow_from_its_tip() {
        // An arrow matrix (dense first row and column) fills completely if the hub goes
        // first and not at all if it goes last.
        let n = 6;
        let mut s = vec![false; n * n];
        for i in 0..n {
            s[i * n + i] = true;
            s[i] = true;
            s[i * n] = true;
        }
        let order = minimum_degree(n, &s);
        // The hub waits until only one leaf is left (then both have degree one).
        assert!(!order[..n - 2].contains(&0), "{order:?}");
        let col_ptr: Vec<usize> = std::iter::once(0)
            .chain((0..n).scan(0, |acc, j| {
                *acc += if j == 0 { n } else { 2 };
                Some(*acc)
            }))
            .collect();
        let row_idx: Vec<usize> = (0..n)
            .flat_map(|j| if j == 0 { (0..n).collect() } else { vec![0, j] })
            .collect();
        let plan = Plan::new(n, &col_ptr, &row_idx);
        assert_eq!(plan.factor_pattern.len(), row_idx.len(), "no fill");
    }
}
