# Caravan image for docker-compose.yml. Build the jar first: ./mvnw package -DskipTests
FROM eclipse-temurin:17-jre
WORKDIR /caravan
COPY target/caravan.jar /opt/caravan/caravan.jar
COPY target/lib /opt/caravan/lib
ENTRYPOINT ["java", "-Dcaravan.home=/caravan", "-jar", "/opt/caravan/caravan.jar"]
CMD ["run"]
