from __future__ import annotations

from django import forms
from django.contrib import admin

from catalog.models import Feature, Package


class PackageForm(forms.ModelForm):
    features = forms.MultipleChoiceField(
        choices=Feature.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Package
        fields = ["code", "kind", "name", "rank", "features", "monthly_net", "active"]


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    form = PackageForm
    list_display = ["name", "kind", "rank", "monthly_net", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "code"]
