"""Checkout photos leave the public media root for their private storage (checkout/photos.py)."""

import shutil
from pathlib import Path

from django.conf import settings
from django.db import migrations, models

import checkout.models
import checkout.photos


def move_photos_out_of_media(apps, schema_editor):
    """Photos saved before this migration sit under MEDIA_ROOT: move each to the private root."""
    Recognition = apps.get_model("checkout", "Recognition")
    media, private = Path(settings.MEDIA_ROOT), checkout.photos.photo_root()
    for name in Recognition.objects.exclude(photo="").values_list("photo", flat=True).iterator():
        source, target = media / name, private / name
        if source.is_file() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)


class Migration(migrations.Migration):
    dependencies = [
        ("checkout", "0005_money_columns_64bit"),
    ]

    operations = [
        migrations.AlterField(
            model_name="recognition",
            name="photo",
            field=models.ImageField(
                help_text="The upload re-encoded as JPEG, no EXIF.",
                storage=checkout.photos.photo_storage,
                upload_to=checkout.models.recognition_photo_path,
            ),
        ),
        migrations.RunPython(move_photos_out_of_media, migrations.RunPython.noop),
    ]
