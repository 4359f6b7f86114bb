"""Radiomics modelling on feature tables: feature selection that happens inside cross-validation only, nested
cross-validation of models, and AUC with confidence intervals (DeLong and bootstrap)."""
