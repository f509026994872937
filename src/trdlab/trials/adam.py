"""A virtual trial as CDISC-ADaM-like datasets: ADSL, ADQS and ADTTE (Parquet and SAS transport).

The datasets use ADaM's standard variable names so that a clinical team's programs read them, but
they are **not a conformance claim** (no define.xml, no controlled terminology check, no SDTM
lineage; dates are study days because a virtual trial has no calendar):

- **ADSL**, one row per subject: STUDYID, USUBJID, SUBJID, ARM, TRT01P/TRT01A (and TRT02P/TRT02A
  in a crossover), TRTSEQP, AGE, AGEU, SEX, ITTFL, SAFFL, COMPLFL, BASE (baseline total of the
  primary scale), WEIGHTBL, and the population covariates named in ``library/clinical/adam.toml``
  (BDNFGT, MGINTAKE, STRESSBL, NFAILTRT, BIPOLAR, BGTHER);
- **ADQS**, one row per subject, period, visit and parameter: PARAMCD/PARAM (the scale's total,
  e.g. MADRSTOT, and each item, MADRS01-MADRS10), AVAL, BASE, CHG, PCHG, AVISIT, AVISITN, ADY,
  ABLFL, ANL01FL (observed, not dropped), APERIOD, TRTA, CRIT1/CRIT1FL (response) and CRIT2/CRIT2FL
  (remission) on the total;
- **ADTTE**, one row per responding subject-period: PARAMCD TTRELAPS, AVAL (days from first
  response), CNSR (1 = censored), EVNTDESC/CNSRDESC, STARTDY, with the relapse definition of
  :func:`trdlab.trials.statistics.relapse_times` (the one the trial summary uses).

SAS transport files are written with pyreadstat (``write_xport``, version 5: names up to 8
characters, labels up to 40), a maintained reader/writer of SAS, SPSS and Stata files.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from trdlab.clinical.scales import load_scale
from trdlab.model.library import default_root
from trdlab.trials.run import TrialResult
from trdlab.trials.statistics import relapse_times

COVARIATES: dict[str, tuple[str, str]] = {
    covariate: (str(entry["name"]), str(entry["label"]))
    for covariate, entry in tomllib.loads((default_root() / "clinical" / "adam.toml").read_text(encoding="utf-8"))[
        "covariates"].items()
}
"""Population covariate -> (ADSL variable, label); absent covariates are left out."""

LABELS = {
    "STUDYID": "Study Identifier", "USUBJID": "Unique Subject Identifier", "SUBJID": "Subject Identifier",
    "ARM": "Description of Planned Arm", "TRT01P": "Planned Treatment for Period 01",
    "TRT01A": "Actual Treatment for Period 01", "TRT02P": "Planned Treatment for Period 02",
    "TRT02A": "Actual Treatment for Period 02", "TRTSEQP": "Planned Sequence of Treatments",
    "AGE": "Age", "AGEU": "Age Units", "SEX": "Sex", "ITTFL": "Intent-To-Treat Population Flag",
    "SAFFL": "Safety Population Flag", "COMPLFL": "Completers Population Flag", "BASE": "Baseline Value",
    "WEIGHTBL": "Weight (kg) at Baseline", "PARAMCD": "Parameter Code", "PARAM": "Parameter",
    "AVAL": "Analysis Value", "CHG": "Change from Baseline", "PCHG": "Percent Change from Baseline",
    "AVISIT": "Analysis Visit", "AVISITN": "Analysis Visit (N)", "ADY": "Analysis Relative Day",
    "ABLFL": "Baseline Record Flag", "ANL01FL": "Analysis Flag 01", "APERIOD": "Period", "TRTA": "Actual Treatment",
    "CRIT1": "Analysis Criterion 1", "CRIT1FL": "Criterion 1 Evaluation Result Flag",
    "CRIT2": "Analysis Criterion 2", "CRIT2FL": "Criterion 2 Evaluation Result Flag",
    "CNSR": "Censor", "EVNTDESC": "Event or Censoring Description", "CNSRDESC": "Censoring Description",
    "STARTDY": "Time-to-Event Origin Study Day", **{code: label for code, label in COVARIATES.values()},
}


def _usubjid(study: str, subject: pd.Series) -> pd.Series:
    return study + "-" + subject.astype(int).map(lambda s: f"{s:05d}")


def _yn(flags: pd.Series) -> pd.Series:
    return pd.Series(np.where(flags.astype(bool), "Y", "N"), index=flags.index)


def adsl(result: TrialResult) -> pd.DataFrame:
    """One row per subject."""
    table = result.subjects
    study = result.design.name
    first = table.sort_values(["subject", "period", "day"], kind="stable").groupby("subject", sort=True)
    base = first.first()
    arms = table.drop_duplicates(["subject", "period"]).pivot(index="subject", columns="period", values="arm")
    out = pd.DataFrame({"STUDYID": study, "USUBJID": _usubjid(study, base.index.to_series()).to_numpy(),
                        "SUBJID": base.index.astype(int).map(lambda s: f"{s:05d}")})
    out.index = base.index
    periods = sorted(arms.columns)
    for number, period in enumerate(periods, start=1):
        out[f"TRT{number:02d}P"] = arms[period]
        out[f"TRT{number:02d}A"] = arms[period]  # in silico every subject gets what was planned
    out["TRTSEQP"] = arms[periods].astype(str).agg("/".join, axis=1)
    out["ARM"] = out["TRTSEQP"]
    out["AGE"] = base["age"].round(0).astype(int)
    out["AGEU"] = "YEARS"
    out["SEX"] = base["sex"].map({"female": "F", "male": "M"}).fillna("U")
    out["ITTFL"] = "Y"
    failed = table.groupby("subject")["status"].agg(lambda s: (s != "ok").any())
    out["SAFFL"] = _yn(~failed)
    out["COMPLFL"] = _yn(~table.groupby("subject")["dropped"].any())
    out["BASE"] = base["baseline"].astype(float)
    out["WEIGHTBL"] = base["weight_kg"].astype(float)
    for column, (code, _) in COVARIATES.items():
        if column in base:
            values = base[column]
            out[code] = _yn(values) if values.dtype == bool else values
    return out.reset_index(drop=True)


def adqs(result: TrialResult) -> pd.DataFrame:
    """One row per subject, period, visit and parameter (the scale total and each item)."""
    scale = load_scale(result.design.scale)
    table = result.subjects
    study = result.design.name
    response, remission = result.design.response, scale.remission
    parameters = [("total", scale.paramcd, f"{scale.title} total score")]
    parameters += [(f"item_{item}", f"{scale.item_prefix}{k:02d}", f"{scale.title} item {k}: {item.replace('_', ' ')}"[:40])
                   for k, item in enumerate(scale.items, start=1)]
    frames = []
    keys = ["subject", "period", "visit", "day", "arm", "dropped"]
    for column, code, label in parameters:
        part = table[keys + [column]].rename(columns={column: "AVAL"})
        baseline_rows = part[part.visit == "baseline"].set_index(["subject", "period"])["AVAL"]
        part = part.assign(BASE=[baseline_rows.get((s, p), np.nan) for s, p in zip(part.subject, part.period)])
        part = part.assign(PARAMCD=code, PARAM=label)
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    out["CHG"] = out["AVAL"] - out["BASE"]
    out["PCHG"] = np.where(out["BASE"] > 0, 100.0 * out["CHG"] / out["BASE"].where(out["BASE"] > 0), np.nan)
    out["ABLFL"] = np.where(out.visit == "baseline", "Y", "")
    out["ANL01FL"] = np.where(~out.dropped.astype(bool), "Y", "")
    total = out["PARAMCD"] == scale.paramcd
    after = total & (out.visit != "baseline")
    out["CRIT1"] = np.where(total, f"Response: >= {100 * response:g} % reduction from baseline", "")
    out["CRIT1FL"] = np.where(after, _yn(-out["CHG"] >= response * out["BASE"]), "")
    out["CRIT2"] = np.where(total, f"Remission: total <= {remission:g}", "")
    out["CRIT2FL"] = np.where(after, _yn(out["AVAL"] <= remission), "")
    out.insert(0, "USUBJID", _usubjid(study, out.subject))
    out.insert(0, "STUDYID", study)
    out = out.rename(columns={"visit": "AVISIT", "day": "ADY", "arm": "TRTA", "period": "APERIOD"})
    out["AVISITN"] = out["ADY"]
    order = ["STUDYID", "USUBJID", "APERIOD", "TRTA", "PARAMCD", "PARAM", "AVISIT", "AVISITN", "ADY", "AVAL", "BASE",
             "CHG", "PCHG", "ABLFL", "ANL01FL", "CRIT1", "CRIT1FL", "CRIT2", "CRIT2FL"]
    return out[order].sort_values(["USUBJID", "APERIOD", "PARAMCD", "ADY"], kind="stable").reset_index(drop=True)


def adtte(result: TrialResult) -> pd.DataFrame:
    """Time to relapse (loss of response), one row per responding subject-period."""
    times = relapse_times(result.subjects, result.visit_days)
    study = result.design.name
    out = pd.DataFrame({
        "STUDYID": study,
        "USUBJID": _usubjid(study, times["subject"]),
        "APERIOD": times["period"].astype(int),
        "TRTA": times["arm"].astype(str),
        "PARAMCD": "TTRELAPS",
        "PARAM": "Time from first response to relapse (d)",
        "STARTDY": times["first_response_day"].astype(float),
        "AVAL": times["duration"].astype(float),
        "CNSR": 1 - times["event"].astype(int),
    })
    out["EVNTDESC"] = np.where(out["CNSR"] == 0, "LOSS OF RESPONSE", "RESPONSE KEPT TO LAST OBSERVED VISIT")
    out["CNSRDESC"] = np.where(out["CNSR"] == 1, "CENSORED AT LAST OBSERVED VISIT", "")
    return out


def write_adam(result: TrialResult, folder: Path) -> tuple[Path, ...]:
    """Write ADSL, ADQS and ADTTE as ``<name>.parquet`` and ``<name>.xpt`` into ``folder``."""
    import pyreadstat

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("adsl", adsl(result)), ("adqs", adqs(result)), ("adtte", adtte(result))):
        frame.to_parquet(folder / f"{name}.parquet", index=False)
        labels = [LABELS.get(column, column)[:40] for column in frame.columns]
        pyreadstat.write_xport(frame, str(folder / f"{name}.xpt"), file_label=f"{name.upper()} (in silico)",
                               column_labels=labels, table_name=name.upper(), file_format_version=5)
        written += [folder / f"{name}.parquet", folder / f"{name}.xpt"]
    return tuple(written)
