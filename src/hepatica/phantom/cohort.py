"""A simulated radiomics cohort with known truth, for testing modelling end to end.

Each patient has one liver lesion drawn as a CT patch (portal-venous phase, liver around it, the phantom's
point-spread function and dose-dependent noise) whose appearance depends on three hidden biological variables,
each a standard normal:

- ``heterogeneity``: amplitude of the lesion's internal texture, 10-40 HU (log-linear, +-2 SD);
- ``enhancement``: the lesion's mean attenuation, 85 +- 15 HU per SD;
- ``infiltration``: how lobulated the margin is, 3-24 % of the radius (log-linear, +-2 SD).

Nuisance variation carries no outcome signal: the texture's grain (correlation length 1-1.8 mm), lesion diameter
(15-45 mm) and elongation, radiation dose (0.8-1.25) and the liver's own attenuation. Clinical covariates: AFP
(ng/mL; log AFP correlates with heterogeneity), bilirubin (umol/L, independent), BCLC stage (0, A, B, C; later
with larger lesions and more heterogeneity), age (nuisance).

Outcomes are generated from known effects (:class:`CohortEffects`): a binary outcome (e.g. microvascular
invasion) by a logistic model, and a survival outcome (e.g. recurrence-free survival, months) by a Weibull
proportional-hazards model with administrative and random censoring. ``linear_predictor`` and
``log_hazard_ratio`` are the true models, whose AUC and C-index are the ceiling a fitted model can reach.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import ndimage

from hepatica.phantom.generate import NOISE_SD_STANDARD_DOSE_HU, PSF_SIGMA_MM

HIDDEN = ("heterogeneity", "enhancement", "infiltration")
#: The IBSI feature (original image) that reads out each hidden variable most directly.
READOUTS = {"heterogeneity": "stat_var", "enhancement": "stat_mean", "infiltration": "morph_sphericity"}
BCLC_STAGES = ("0", "A", "B", "C")
SPACING_MM = (2.0, 1.0, 1.0)  # (z, y, x)


@dataclass(frozen=True)
class CohortEffects:
    """The true models. Coefficients are per standard deviation of a hidden variable, per unit of log10 AFP and
    log bilirubin (standardised on the cohort), and per BCLC stage step; ``binary_intercept`` sets the prevalence,
    ``weibull_shape`` and ``median_months`` the baseline survival, ``follow_up_months`` the administrative
    censoring and ``dropout_months`` the mean of exponential loss to follow-up."""

    binary: dict = field(
        default_factory=lambda: {
            "heterogeneity": 1.4,
            "enhancement": 0.8,
            "infiltration": 1.0,
            "log_afp": 0.5,
            "bclc": 0.4,
        }
    )
    binary_intercept: float = -0.4
    survival: dict = field(
        default_factory=lambda: {
            "heterogeneity": 0.9,
            "enhancement": 0.8,
            "infiltration": 0.8,
            "log_afp": 0.3,
            "bclc": 0.3,
            "log_bilirubin": 0.3,
        }
    )
    weibull_shape: float = 1.3
    median_months: float = 30.0
    follow_up_months: float = 60.0
    dropout_months: float = 120.0


@dataclass
class CohortPatient:
    """One simulated patient: the hidden biology, what a clinic records, the lesion image and its expert mask,
    and both outcomes."""

    case: str
    hidden: dict[str, float]
    clinical: dict[str, float | str]
    diameter_mm: float
    dose: float
    image: np.ndarray  # HU, float32, (z, y, x) on SPACING_MM
    mask: np.ndarray  # bool
    event: int = 0  # binary outcome
    time_months: float = 0.0
    died_or_recurred: bool = False


@dataclass
class Cohort:
    """Patients plus the truth they were generated from."""

    patients: list[CohortPatient]
    effects: CohortEffects
    linear_predictor: np.ndarray  # true log-odds of the binary outcome, per patient
    log_hazard_ratio: np.ndarray  # true log hazard of the survival outcome, per patient
    seed: int

    @property
    def spacing_mm(self) -> tuple[float, float, float]:
        return SPACING_MM

    def truth(self) -> dict:
        """What generated the cohort, JSON-ready."""
        return {
            "seed": self.seed,
            "effects": asdict(self.effects),
            "hidden_variables": list(HIDDEN),
            "signal_variables": [name for name in HIDDEN if self.effects.binary.get(name)],
            "patients": len(self.patients),
        }


def simulate_cohort(
    n_patients: int = 200, seed: int = 0, effects: CohortEffects | None = None, keep_images: bool = True
) -> Cohort:
    """``n_patients`` patients, deterministic for a seed. ``keep_images=False`` drops each image once made
    (the caller extracts features on the fly through :func:`patient_images`)."""
    effects = effects or CohortEffects()
    rng = np.random.default_rng(seed)
    hidden = rng.standard_normal((n_patients, len(HIDDEN)))
    diameters = np.exp(rng.uniform(np.log(15), np.log(45), n_patients))
    log_afp = 1.0 + 0.45 * hidden[:, 0] + 0.8 * rng.standard_normal(n_patients)  # log10 ng/mL
    log_bilirubin = np.log(14.0) + 0.4 * rng.standard_normal(n_patients)  # umol/L
    stage_score = 0.04 * (diameters - 25) + 0.5 * hidden[:, 0] + rng.standard_normal(n_patients)
    bclc = np.digitize(stage_score, [-1.2, 0.3, 1.3])
    age = np.clip(rng.normal(64, 9, n_patients), 30, 90)
    z_afp = (log_afp - log_afp.mean()) / (log_afp.std() or 1.0)
    z_bil = (log_bilirubin - log_bilirubin.mean()) / (log_bilirubin.std() or 1.0)
    covariates = {name: hidden[:, i] for i, name in enumerate(HIDDEN)} | {
        "log_afp": z_afp,
        "log_bilirubin": z_bil,
        "bclc": bclc.astype(float),
    }
    lp = effects.binary_intercept + sum(b * covariates[k] for k, b in effects.binary.items())
    events = (rng.random(n_patients) < 1 / (1 + np.exp(-lp))).astype(int)
    log_hr = sum(b * covariates[k] for k, b in effects.survival.items())
    log_hr = log_hr - log_hr.mean()
    scale = effects.median_months / np.log(2) ** (1 / effects.weibull_shape)
    times = scale * (-np.log(rng.random(n_patients)) / np.exp(log_hr)) ** (1 / effects.weibull_shape)
    censor = np.minimum(effects.follow_up_months, rng.exponential(effects.dropout_months, n_patients))
    patients = []
    for i in range(n_patients):
        patient_rng = np.random.default_rng([seed, i])
        image, mask, dose = _lesion_patch(hidden[i], diameters[i], patient_rng)
        patients.append(
            CohortPatient(
                case=f"sim{i:04d}",
                hidden=dict(zip(HIDDEN, map(float, hidden[i]))),
                clinical={
                    "afp_ng_ml": float(10 ** log_afp[i]),
                    "bilirubin_umol_l": float(np.exp(log_bilirubin[i])),
                    "bclc": BCLC_STAGES[bclc[i]],
                    "age_years": float(round(age[i])),
                },
                diameter_mm=float(diameters[i]),
                dose=dose,
                image=image if keep_images else None,
                mask=mask if keep_images else None,
                event=int(events[i]),
                time_months=float(min(times[i], censor[i])),
                died_or_recurred=bool(times[i] <= censor[i]),
            )
        )
    return Cohort(patients, effects, np.asarray(lp), np.asarray(log_hr), seed)


def patient_images(cohort: Cohort, index: int) -> tuple[np.ndarray, np.ndarray]:
    """(image, mask) of patient ``index``, regenerated when the cohort was made without images."""
    patient = cohort.patients[index]
    if patient.image is not None:
        return patient.image, patient.mask
    image, mask, _ = _lesion_patch(
        np.array([patient.hidden[k] for k in HIDDEN]), patient.diameter_mm, np.random.default_rng([cohort.seed, index])
    )
    return image, mask


def _lesion_patch(
    hidden: np.ndarray, diameter_mm: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, float]:
    """A CT patch around one lesion, its mask and the dose it was 'scanned' at."""
    heterogeneity, enhancement, infiltration = hidden
    half = diameter_mm / 2 + 8.0
    shape = tuple(int(np.ceil(2 * half / s)) for s in SPACING_MM)
    z, y, x = (np.arange(n) * s - (n - 1) * s / 2 for n, s in zip(shape, SPACING_MM))
    Z, Y, X = np.meshgrid(z, y, x, indexing="ij")
    elongation = rng.uniform(0.85, 1.0, 2)
    radii = diameter_mm / 2 * np.array([elongation[0], elongation[1], 1.0])
    angle = rng.uniform(0, np.pi)
    u = np.cos(angle) * X + np.sin(angle) * Y
    v = -np.sin(angle) * X + np.cos(angle) * Y
    rho = np.sqrt((Z / radii[0]) ** 2 + (v / radii[1]) ** 2 + (u / radii[2]) ** 2)
    lobes = 1 + 0.1 * np.exp(0.5 * infiltration) * _smooth_field(shape, rng, 0.1 * diameter_mm)
    mask = rho <= lobes
    amplitude_hu = 20.0 * np.exp(0.35 * heterogeneity)
    grain_mm = rng.uniform(1.0, 1.8)
    liver_hu = rng.normal(110, 6)
    texture = amplitude_hu * _smooth_field(shape, rng, grain_mm)
    hu = np.where(mask, 85.0 + 15.0 * enhancement + texture, liver_hu + 4.0 * _smooth_field(shape, rng, 3.0))
    hu = ndimage.gaussian_filter(hu, [s / d for s, d in zip(PSF_SIGMA_MM[::-1], SPACING_MM)])
    dose = float(rng.uniform(0.8, 1.25))
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), (0, 0.6, 0.6))
    hu = hu + NOISE_SD_STANDARD_DOSE_HU / np.sqrt(dose) * noise / noise.std()
    return hu.astype(np.float32), mask, dose


def _smooth_field(shape, rng: np.random.Generator, sigma_mm: float) -> np.ndarray:
    """Unit-variance Gaussian random field with correlation length ``sigma_mm``."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), [sigma_mm / s for s in SPACING_MM])
    return field / max(float(field.std()), 1e-9)
