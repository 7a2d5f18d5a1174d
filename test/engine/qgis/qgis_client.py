"""QGIS as the user's map client, headless: loads a layer definition file (.qlr) and reports.

Run with the system Python that has Debian's python3-qgis (not the UDF runtime):

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis_client.py render LAYER.qlr OUT.png
    QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis_client.py colors LAYER.qlr PROPERTIES.json
    QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis_client.py archive AREA.mbtiles OUT.png

`render` prints the layers QGIS loaded (name, type, provider, validity, the tile URL it decoded
from the data source, zooms, extent), what QGIS logged, and the rendered image's pixels at the
layer's own extent ("Zoom to Layer"): how many differ from the background and the commonest
colours. `colors` evaluates the vector tile style's polygon fill and stroke and point colours for
each property dict of PROPERTIES.json, as QGIS would for a feature with those attributes.
`archive` opens an MBTiles archive as a user adds one (Layer > Add Layer: raster tiles through GDAL,
vector tiles as a vector tile layer) and renders it like `render`.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from qgis.core import (  # type: ignore[import-not-found]
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsDataSourceUri,
    QgsExpressionContext,
    QgsFeature,
    QgsField,
    QgsFields,
    QgsLayerDefinition,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRasterLayer,
    QgsSymbolLayer,
    QgsVectorTileLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QSize, QVariant  # type: ignore[import-not-found]
from qgis.PyQt.QtGui import QColor  # type: ignore[import-not-found]

SIZE = 256
BACKGROUND = QColor(255, 255, 255)
COMMON_COLOURS = 12


def load(layer_file: str, messages: list[str]) -> tuple[bool, str, list[Any]]:
    QgsApplication.messageLog().messageReceived.connect(
        lambda message, tag, _level: messages.append(f"{tag}: {message}")
    )
    project = QgsProject.instance()
    loaded, error = QgsLayerDefinition.loadLayerDefinition(
        layer_file, project, project.layerTreeRoot()
    )
    return loaded, error, list(project.mapLayers().values())


def describe(layer: Any) -> dict[str, Any]:
    uri = QgsDataSourceUri()
    uri.setEncodedUri(layer.source())
    return {
        "name": layer.name(),
        "type": layer.type(),
        "provider": layer.providerType(),
        "valid": layer.isValid(),
        "url": uri.param("url"),
        "zmin": uri.param("zmin"),
        "zmax": uri.param("zmax"),
        "extent": [
            layer.extent().xMinimum(),
            layer.extent().yMinimum(),
            layer.extent().xMaximum(),
            layer.extent().yMaximum(),
        ],
        "crs": layer.crs().authid(),
        "abstract": layer.metadata().abstract(),
    }


def render(layer_file: str, image_file: str) -> dict[str, Any]:
    messages: list[str] = []
    loaded, error, layers = load(layer_file, messages)
    report: dict[str, Any] = {
        "loaded": loaded,
        "error": error,
        "layers": [describe(layer) for layer in layers],
        "messages": messages,
    }
    if not layers:
        return report
    return drawn(layers, image_file, report)


def archive(path: str, image_file: str) -> dict[str, Any]:
    messages: list[str] = []
    QgsApplication.messageLog().messageReceived.connect(
        lambda message, tag, _level: messages.append(f"{tag}: {message}")
    )
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        row = db.execute("SELECT value FROM metadata WHERE name = 'format'").fetchone()
    tile_format = row[0] if row else ""
    if tile_format == "pbf":
        layer = QgsVectorTileLayer(f"type=mbtiles&url={path}", "archive")
    else:
        layer = QgsRasterLayer(path, "archive", "gdal")
    QgsProject.instance().addMapLayer(layer)
    report: dict[str, Any] = {"format": tile_format, "layers": [describe(layer)], "messages": messages}
    if not layer.isValid():
        return report
    return drawn([layer], image_file, report)


def drawn(layers: list[Any], image_file: str, report: dict[str, Any]) -> dict[str, Any]:
    """Renders the layers at the first one's extent and adds what the image holds to `report`."""
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    settings.setExtent(layers[0].extent())
    settings.setOutputSize(QSize(SIZE, SIZE))
    settings.setBackgroundColor(BACKGROUND)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(image_file)
    pixels = Counter(image.pixel(x, y) for y in range(image.height()) for x in range(image.width()))
    report["render_errors"] = [f"{e.layerID}: {e.message}" for e in job.errors()]
    report["differing_pixels"] = sum(
        count for pixel, count in pixels.items() if pixel != BACKGROUND.rgb()
    )
    report["colours"] = len(pixels)
    report["common_colours"] = [
        list(QColor(pixel).getRgb()) for pixel, _ in pixels.most_common(COMMON_COLOURS)
    ]
    return report


def colors(layer_file: str, properties_file: str) -> dict[str, Any]:
    messages: list[str] = []
    loaded, error, layers = load(layer_file, messages)
    if not layers:
        return {"loaded": loaded, "error": error, "messages": messages}
    styles = {style.geometryType(): style for style in layers[0].renderer().styles()}
    polygon = styles[QgsWkbTypes.PolygonGeometry].symbol().symbolLayer(0)
    point = styles[QgsWkbTypes.PointGeometry].symbol().symbolLayer(0)
    features: list[dict[str, Any]] = json.loads(Path(properties_file).read_text(encoding="utf-8"))
    answers = []
    for properties in features:
        context = feature_context(properties)
        answers.append(
            {
                "fill": colour(polygon, QgsSymbolLayer.PropertyFillColor, polygon.color(), context),
                "stroke": colour(
                    polygon, QgsSymbolLayer.PropertyStrokeColor, polygon.strokeColor(), context
                ),
                "point": colour(point, QgsSymbolLayer.PropertyFillColor, point.color(), context),
            }
        )
    return {"loaded": loaded, "messages": messages, "colors": answers}


def feature_context(properties: dict[str, Any]) -> Any:
    fields = QgsFields()
    for name, value in properties.items():
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        fields.append(QgsField(name, QVariant.Double if numeric else QVariant.String))
    feature = QgsFeature(fields)
    feature.setAttributes(list(properties.values()))
    context = QgsExpressionContext()
    context.setFields(fields)
    context.setFeature(feature)
    return context


def colour(symbol_layer: Any, key: int, fixed: Any, context: Any) -> list[int]:
    """The symbol's colour for a feature: its expression's when data-defined, else the fixed one."""
    prop = symbol_layer.dataDefinedProperties().property(key)
    if prop.isActive():
        value, _ok = prop.valueAsColor(context, fixed)
        return list(value.getRgb())
    return list(fixed.getRgb())


def main() -> None:
    app = QgsApplication([], False)
    app.initQgis()
    mode, layer_file, other = sys.argv[1:4]
    modes = {"render": render, "colors": colors, "archive": archive}
    report = modes[mode](layer_file, other)
    print(json.dumps(report))
    QgsProject.instance().clear()
    app.exitQgis()


if __name__ == "__main__":
    main()
