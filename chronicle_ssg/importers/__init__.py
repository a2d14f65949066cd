"""`chronicle import`: bring a WordPress export, a Jekyll blog or a Hugo site into chronicle.

Each source format has its own module that reads the old site into `common.ImportedSite`
values; `common` plans the URLs and aliases, writes the files and the report, so the
three importers share every rule about what a chronicle site may contain.
"""
