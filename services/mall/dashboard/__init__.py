"""The programme's dashboard (``GET /dashboard``), served by the mall service."""

from services.mall.dashboard.figures import DashboardSettings
from services.mall.dashboard.router import router

__all__ = ["DashboardSettings", "router"]
