"""Human pose: DHP19's joints, calibrated cameras (projection, triangulation) and the errors
we score pose estimates by. Nothing here knows about events, networks or ROS."""
