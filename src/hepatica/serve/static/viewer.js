// The viewer: NiiVue with every phase of one study (on the segmented series' grid), window presets, liver and
// lesion overlays toggled per structure, and a lesion list that moves the crosshair to each lesion.
// window.hepaticaViewer exposes the state for tests: ready, phase (the key of the phase shown: its name, or the
// series id of a series of unknown phase), selectedLesion, nv, data.
"use strict";

const WINDOWS = [  // [name, centre, width] in HU
  ["Abdomen", 40, 400], ["Liver", 60, 160], ["Bone", 400, 1800], ["Lung", -600, 1500],
];
const VIEWS = [["Axial", "sliceTypeAxial"], ["Coronal", "sliceTypeCoronal"], ["Sagittal", "sliceTypeSagittal"],
               ["All", "sliceTypeMultiplanar"]];
const state = { ready: false, phase: null, selectedLesion: null, window: WINDOWS[0], nv: null, data: null };
window.hepaticaViewer = state;

function buttons(container, items, onClick) {
  const box = document.getElementById(container);
  const made = items.map(([label, key]) => {
    const b = document.createElement("button");
    b.textContent = label; b.dataset.key = key;
    b.addEventListener("click", () => { onClick(key); made.forEach(x => x.classList.toggle("active", x === b)); });
    box.appendChild(b);
    return b;
  });
  return made;
}

function fmt(value, digits) { return value == null ? "–" : Number(value).toFixed(digits); }

function applyWindow() {
  const [, centre, width] = state.window;
  for (const vol of state.phaseVolumes.values()) { vol.cal_min = centre - width / 2; vol.cal_max = centre + width / 2; }
  state.nv.updateGLVolume();
}

function showPhase(key) {
  const vol = state.phaseVolumes.get(key);
  for (const [name, other] of state.phaseVolumes) other.opacity = name === key ? 1 : 0;
  state.nv.setVolume(vol, 0);
  state.phase = key;
  const entry = state.data.phases.find(p => p.key === key);
  document.getElementById("phase-note").textContent = entry.aligned ? `series ${entry.series_id}`
    : `series ${entry.series_id}, placed by position (not aligned)`;
  applyWindow();
}

function selectLesion(lesion) {
  state.selectedLesion = lesion.id;
  document.querySelectorAll("#lesions tr").forEach(tr => tr.classList.toggle("selected", tr.dataset.lesion == lesion.id));
  const nv = state.nv;
  nv.scene.crosshairPos = nv.mm2frac(lesion.position_ras_mm);
  nv.updateGLVolume();
  const box = document.getElementById("measurements");
  box.className = "";
  const li = lesion.lirads;
  const rows = [
    ["Volume", `${fmt(lesion.volume_ml, 2)} mL`],
    ["Long axis / short axis (segmented outline, RECIST)",
     `${fmt(lesion.longest_axial_diameter_mm, 1)} / ${fmt(lesion.short_axis_mm, 1)} mm`],
    ["Longest 3D diameter (segmented outline)", `${fmt(lesion.longest_3d_diameter_mm, 1)} mm`],
    ["Centre (L, P, S)", lesion.position_lps_mm.map(v => v.toFixed(1)).join(", ") + " mm"],
  ];
  if (li) {
    rows.push(["LI-RADS", li.category || "not applicable"], ["LI-RADS size (where the margin is sharpest)", `${fmt(li.size_mm, 0)} mm`],
              ["APHE / washout / capsule", [li.features.aphe, li.features.washout, li.features.capsule]
                .map(v => v == null ? "n/a" : v === true ? "yes" : v === false ? "no" : v).join(" / ")],
              ["Type estimate", `${li.type_estimate} (decision support)`]);
  }
  box.innerHTML = "";
  const table = document.createElement("table");
  for (const [k, v] of rows) { const r = table.insertRow(); r.insertCell().textContent = k; r.insertCell().textContent = v; }
  box.appendChild(table);
  if (li && li.reasons.length) {
    const list = document.createElement("ul");
    for (const reason of li.reasons) { const item = document.createElement("li"); item.textContent = reason; list.appendChild(item); }
    box.appendChild(list);
  }
}

async function main() {
  const study = document.querySelector(".viewer").dataset.study;
  const response = await fetch(`/api/studies/${encodeURIComponent(study)}/viewer`);
  if (!response.ok) { document.getElementById("measurements").textContent = (await response.json()).detail; return; }
  const data = state.data = await response.json();
  if (!data.phases.length) {
    document.getElementById("measurements").textContent = "This analysis has no images for the viewer: analyse " +
      "the study again with this version of Hepatica.";
    return;
  }
  for (const [id, key] of [["report-link", "report_url"], ["report-pdf-link", "report_pdf_url"]]) {
    if (data[key]) { const a = document.getElementById(id); a.href = data[key]; a.hidden = false; }
  }
  const nv = state.nv = new niivue.Niivue({
    backColor: [0, 0, 0, 1], crosshairColor: [0.25, 0.65, 1, 1], isRadiologicalConvention: true,
    show3Dcrosshair: false, dragAndDropEnabled: false,
  });
  nv.attachToCanvas(document.getElementById("gl"));
  const [, centre, width] = state.window;
  const phaseImages = data.phases.map(p => ({ url: p.url, name: `${p.key}.nii.gz`, colormap: "gray",
    cal_min: centre - width / 2, cal_max: centre + width / 2, opacity: p.key === data.default_phase ? 1 : 0 }));
  const overlayImages = data.overlays.map(o => ({ url: o.url, name: `${o.name}.nii.gz`, colormap: `hepatica_${o.name}`,
    cal_min: 0.5, cal_max: 1, opacity: o.opacity }));
  for (const o of data.overlays) {
    const [r, g, b] = o.colour;
    nv.addColormap(`hepatica_${o.name}`, { R: [0, r, r], G: [0, g, g], B: [0, b, b], A: [0, 255, 255], I: [0, 1, 255] });
  }
  await nv.loadVolumes([...phaseImages, ...overlayImages]);
  state.phaseVolumes = new Map(data.phases.map((p, i) => [p.key, nv.volumes[i]]));
  state.overlayVolumes = new Map(data.overlays.map((o, i) => [o.name, nv.volumes[data.phases.length + i]]));
  nv.setSliceType(nv.sliceTypeAxial);
  nv.onLocationChange = loc => { document.getElementById("readout").textContent = loc.string || ""; };

  const phaseButtons = buttons("phases", data.phases.map(p => [p.label, p.key]), showPhase);
  phaseButtons.find(b => b.dataset.key === data.default_phase)?.classList.add("active");
  const windowButtons = buttons("windows", WINDOWS.map(w => [`${w[0]} ${w[2]}/${w[1]}`, w[0]]), name => {
    state.window = WINDOWS.find(w => w[0] === name); applyWindow();
  });
  windowButtons[0].classList.add("active");
  const viewButtons = buttons("views", VIEWS, key => nv.setSliceType(nv[key]));
  viewButtons[0].classList.add("active");
  const overlayBox = document.getElementById("overlays");
  for (const o of data.overlays) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.checked = true; box.dataset.overlay = o.name;
    box.addEventListener("change", () => {
      state.overlayVolumes.get(o.name).opacity = box.checked ? o.opacity : 0; nv.updateGLVolume();
    });
    const swatch = document.createElement("span");
    swatch.className = "swatch"; swatch.style.background = `rgb(${o.colour.join(",")})`;
    label.append(box, swatch, o.name, " ");
    overlayBox.appendChild(label);
  }
  document.getElementById("volumetry").textContent = data.liver_volume_ml == null ? "no segmentation"
    : `liver ${fmt(data.liver_volume_ml, 0)} mL · tumour burden ${fmt(data.tumour_burden_percent, 1)} %`;
  const tbody = document.getElementById("lesions");
  for (const lesion of data.lesions) {
    const row = tbody.insertRow();
    row.dataset.lesion = lesion.id;
    for (const v of [lesion.id, fmt(lesion.longest_axial_diameter_mm, 1), fmt(lesion.volume_ml, 2),
                     lesion.lirads ? (lesion.lirads.category || "n/a") : "–"]) row.insertCell().textContent = v;
    row.addEventListener("click", () => selectLesion(lesion));
  }
  const quality = document.getElementById("quality");
  if (data.quality) {
    quality.hidden = false;
    quality.className = `group qc ${data.quality === "needs review" ? "qc-review" : "qc-done"}`;
    const title = document.createElement("h3");
    title.textContent = `Quality control: ${data.quality}`;
    quality.appendChild(title);
    for (const flag of data.quality_flags) {
      const p = document.createElement("p"); p.textContent = flag; quality.appendChild(p);
    }
  }
  if (data.candidates.length) {
    document.getElementById("candidates").hidden = false;
    const rows = document.getElementById("candidate-rows");
    for (const c of data.candidates) {
      const row = rows.insertRow();
      for (const v of [c.number, fmt(c.diameter_mm, 0), fmt(c.confidence, 2), c.reasons.join("; ")]) {
        row.insertCell().textContent = v;
      }
      if (c.decision === "adjacent mass") row.className = "adjacent-mass";
    }
  }
  const warnings = document.getElementById("warnings");
  for (const w of data.warnings) { const p = document.createElement("p"); p.className = "muted"; p.textContent = w; warnings.appendChild(p); }
  showPhase(data.default_phase);
  state.ready = true;
}

main().catch(error => { document.getElementById("measurements").textContent = `The viewer failed: ${error}`; });
