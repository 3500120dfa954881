//! Two-dimensional views of wider latent codes: principal components.

/// The codes (`n` rows of `dim` values) projected on their first two principal components,
/// and the fraction of the total variance each component explains. Codes of 2 dimensions are
/// returned unchanged (fractions from their own variances).
///
/// Power iteration with deflation on the `dim × dim` covariance: exact enough for plotting and
/// deterministic (fixed start vector).
pub fn principal_components(codes: &[f32], dim: usize) -> (Vec<(f32, f32)>, [f64; 2]) {
    let n = codes.len().checked_div(dim).unwrap_or(0);
    if n == 0 || dim < 2 {
        return (Vec::new(), [0.0; 2]);
    }
    let rows = || codes.chunks_exact(dim).take(n);
    let mut mean = vec![0.0f64; dim];
    for row in rows() {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += f64::from(*v) / n as f64;
        }
    }
    let mut cov = vec![0.0f64; dim * dim];
    for row in rows() {
        for i in 0..dim {
            let a = f64::from(row[i]) - mean[i];
            for j in 0..dim {
                cov[i * dim + j] += a * (f64::from(row[j]) - mean[j]) / n as f64;
            }
        }
    }
    let total: f64 = (0..dim)
        .map(|i| cov[i * dim + i])
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    if dim == 2 {
        let points = rows().map(|r| (r[0], r[1])).collect();
        return (points, [cov[0] / total, cov[3] / total]);
    }
    let mut components = Vec::new();
    let mut fractions = [0.0; 2];
    for fraction in &mut fractions {
        let mut v: Vec<f64> = (0..dim).map(|i| 1.0 + i as f64 / dim as f64).collect();
        let mut eigenvalue = 0.0;
        for _ in 0..500 {
            let mut w: Vec<f64> = (0..dim)
                .map(|i| (0..dim).map(|j| cov[i * dim + j] * v[j]).sum())
                .collect();
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm < 1e-300 {
                break;
            }
            w.iter_mut().for_each(|x| *x /= norm);
            let change: f64 = w.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
            v = w;
            eigenvalue = norm;
            if change < 1e-12 {
                break;
            }
        }
        // Deflate so the next iteration finds the next component.
        for i in 0..dim {
            for j in 0..dim {
                cov[i * dim + j] -= eigenvalue * v[i] * v[j];
            }
        }
        *fraction = eigenvalue / total;
        components.push(v);
    }
    let project = |row: &[f32], c: &[f64]| -> f32 {
        row.iter()
            .zip(&mean)
            .zip(c)
            .map(|((x, m), c)| (f64::from(*x) - m) * c)
            .sum::<f64>() as f32
    };
    let points = rows()
        .map(|r| (project(r, &components[0]), project(r, &components[1])))
        .collect();
    (points, fractions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_directions_of_largest_variance() {
        // Points spread 10× along (1, 1, 0)/√2, 3× along (0, 0, 1), 0.1× along (1, −1, 0)/√2.
        let mut codes = Vec::new();
        for i in 0..400 {
            let t = i as f32;
            let (a, b, c) = (
                (t * 0.37).sin() * 10.0,
                (t * 1.13).cos() * 3.0,
                (t * 2.9).sin() * 0.1,
            );
            let s = std::f32::consts::FRAC_1_SQRT_2;
            codes.extend([a * s + c * s + 5.0, a * s - c * s, b]);
        }
        let (points, fractions) = principal_components(&codes, 3);
        assert_eq!(points.len(), 400);
        assert!(
            fractions[0] > 0.85 && fractions[1] > 0.05 && fractions[0] + fractions[1] > 0.999,
            "{fractions:?}"
        );
        // The first coordinate recovers a (up to sign), the second b.
        for (i, (x, y)) in points.iter().enumerate().take(20) {
            let t = i as f32;
            assert!(
                (x.abs() - ((t * 0.37).sin() * 10.0).abs()).abs() < 0.2,
                "{i}"
            );
            assert!(
                (y.abs() - ((t * 1.13).cos() * 3.0).abs()).abs() < 0.2,
                "{i}"
            );
        }
        let (two, _) = principal_components(&[1.0, 2.0, 3.0, 4.0], 2);
        assert_eq!(two, vec![(1.0, 2.0), (3.0, 4.0)]);
    }
}
