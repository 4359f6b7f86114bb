"""Lesion characterization from the contrast phases: phase alignment (`register`), enhancement of each lesion
relative to the liver (`enhancement`), LI-RADS features with evidence and confidence (`features`), and the
bridge to the LI-RADS algorithm (`observation`)."""
